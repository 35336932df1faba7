using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using Zoo.Torch.Modules;
using static Zoo.Torch.torch;

namespace Zoo.Plugin.Sample;

/// <summary>
/// q(z|x) = N(μ(x), diag σ²(x)) from one hidden ReLU layer and two linear heads. Change it into yours: Module (the
/// network, whose parameters the trainer optimises and checkpoints) and Encode are the contract. The generic vae
/// trains any encoder (zoo train vae encoder=zoo-sample-name encoder.hidden=256).
/// </summary>
public sealed class ZooSampleClassEncoder : nn.Module, IEncoder
{
    private readonly Linear hidden, mean, logVar;

    public ZooSampleClassEncoder(int inputDim, int hiddenUnits, int latentDim, Generator generator) : base("ZooSampleClassEncoder")
    {
        // Layers are registered (so the trainer sees their parameters) and initialised from the run's generator, in order.
        hidden = register_module("hidden", new Linear(inputDim, hiddenUnits, activation: Activation.ReLU, generator: generator));
        mean = register_module("mean", new Linear(hiddenUnits, latentDim, generator: generator));
        logVar = register_module("log_var", new Linear(hiddenUnits, latentDim, generator: generator));
    }

    public nn.Module Module => this;

    public DiagonalGaussian Encode(Tensor x)
    {
        using var h = hidden.forward(x);
        return new DiagonalGaussian(mean.forward(h), logVar.forward(h));
    }
}

/// <summary>The plugin's keys: each public init property is one (encoder.hidden), its initialiser the default.</summary>
[ZooConfig]
public sealed partial record ZooSampleClassEncoderConfig
{
    [Description("units of the hidden layer")]
    [Range(1, 65536)]
    public int Hidden { get; init; } = 256;
}

[ZooPlugin("zoo-sample-name", Description = "diagonal Gaussian q(z|x) from one hidden ReLU layer and linear μ and log σ² heads")]
public sealed partial class ZooSampleClassEncoderPlugin : EncoderPlugin<ZooSampleClassEncoderConfig>
{
    protected override IEncoder Create(ZooSampleClassEncoderConfig config, int inputDim, int latentDim, Generator generator) =>
        new ZooSampleClassEncoder(inputDim, config.Hidden, latentDim, generator);
}
