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
public sealed class GaussianMlpEncoder(int inputDim, IReadOnlyList<int> hidden, Activation activation, int latentDim, Generator generator)
    : GaussianHeadEncoder("GaussianMlpEncoder",
        nn.MLP([inputDim, .. hidden.Select(h => (long)h)], activation, activateLast: true, generator: generator), hidden[^1], latentDim, generator);

[ZooConfig]
public sealed partial record GaussianMlpEncoderConfig : MlpConfig;

[ZooPlugin("gaussian-mlp", Description = "diagonal Gaussian q(z|x) from an MLP with shared hidden layers and a [μ | log σ²] head")]
public sealed partial class GaussianMlpEncoderPlugin : EncoderPlugin<GaussianMlpEncoderConfig>
{

    protected override IEncoder Create(GaussianMlpEncoderConfig config, int inputDim, int latentDim, Generator generator) =>
        new GaussianMlpEncoder(inputDim, config.Hidden, config.ParsedActivation, latentDim, generator);
}
