using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Torch;
using Zoo.Torch.Modules;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Encoders.GaussianMlp;

/// <summary>
/// q(z|x) = N(μ(x), diag σ²(x)) from an MLP (seeds 001/003): shared hidden layers, then one linear head that
/// emits [μ | log σ²] (one GEMM for both).
/// </summary>
public sealed class GaussianMlpEncoder : nn.Module, IEncoder
{
    private readonly Sequential body;
    private readonly Linear head;

    public GaussianMlpEncoder(int inputDim, IReadOnlyList<int> hidden, Activation activation, int latentDim, Generator generator)
        : base("GaussianMlpEncoder")
    {
        body = register_module("body", nn.MLP([inputDim, .. hidden.Select(h => (long)h)], activation, activateLast: true, generator: generator));
        head = register_module("head", new Linear(hidden[^1], 2L * latentDim, generator: generator));
    }

    public nn.Module Module => this;

    public DiagonalGaussian Encode(Tensor x)
    {
        using var h = body.forward(x);
        using var stats = head.forward(h);
        return DiagonalGaussian.FromHead(stats);
    }
}

[ZooConfig]
public sealed partial record GaussianMlpEncoderConfig : MlpConfig;

[ZooPlugin("gaussian-mlp", Description = "diagonal Gaussian q(z|x) from an MLP with shared hidden layers and a [μ | log σ²] head")]
public sealed partial class GaussianMlpEncoderPlugin : EncoderPlugin<GaussianMlpEncoderConfig>
{

    protected override IEncoder Create(GaussianMlpEncoderConfig config, int inputDim, int latentDim, Generator generator) =>
        new GaussianMlpEncoder(inputDim, config.Hidden, config.ParsedActivation, latentDim, generator);
}
