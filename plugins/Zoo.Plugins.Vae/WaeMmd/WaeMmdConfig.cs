using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Models;

namespace Zoo.Plugins.Vae.WaeMmd;

/// <summary>The WAE-MMD's keys: its four parts and latent size (<see cref="ComposedModelConfig"/>) and the penalty's.</summary>
[ZooConfig]
public sealed partial record WaeMmdConfig : ComposedModelConfig
{
    [Description("weight λ of the MMD penalty between the codes and the prior (the paper's 10 on MNIST)")]
    [Range(0.0, 1e6)]
    public double Lambda { get; init; } = 10;

    [Description("MMD kernel, summed over C·{0.1, 0.2, 0.5, 1, 2, 5, 10} with C = E‖z − z'‖² under the prior: imq (C/(C + ‖x − y‖²), the paper's) or rbf (exp(−‖x − y‖²/C))")]
    public MmdKernel Kernel { get; init; } = MmdKernel.Imq;

    [Description("true: the code is q(z|x)'s mean (a deterministic encoder, the paper's WAE-MMD); false: a reparameterised draw from q")]
    public bool Deterministic { get; init; } = true;
}
