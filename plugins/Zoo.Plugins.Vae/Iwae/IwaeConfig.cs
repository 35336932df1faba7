using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Models;

namespace Zoo.Plugins.Vae.Iwae;

/// <summary>The IWAE's keys: the composed model's parts and latent size, and k, the importance samples of its bound.</summary>
[ZooConfig]
public sealed partial record IwaeConfig : ComposedModelConfig
{
    [Description("importance samples per example in the training bound (k; k = 1 is the ELBO with a Monte Carlo KL)")]
    [Range(1, 5000)]
    public int K { get; init; } = 5;
}
