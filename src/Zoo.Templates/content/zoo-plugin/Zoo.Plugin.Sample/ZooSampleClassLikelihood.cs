using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugin.Sample;

/// <summary>
/// p(x | μ, b) = Π_j exp(−|x_j − μ_j| / b_j) / (2 b_j), a Laplace likelihood: the decoder gives μ and log b for every
/// data dimension, laid out side by side as [N, 2·D]. Change it into yours: OutputsPerDimension, LogProb, Mean and
/// Sample are the whole contract, and the generic vae trains any likelihood (zoo train vae likelihood=zoo-sample-name).
/// </summary>
public sealed class ZooSampleClassLikelihood(double minScale) : ILikelihood
{
    /// <summary>μ and log b per data dimension.</summary>
    public int OutputsPerDimension => 2;

    /// <summary>Σ_j −|x_j − μ_j| / b_j − log 2b_j: [N].</summary>
    public Tensor LogProb(Tensor decoderOutput, Tensor x)
    {
        using var scope = NewDisposeScope(); // frees every temporary of this method
        var (mu, b) = Parameters(decoderOutput);
        var terms = -((x - mu).abs() / b) - b.log() - Math.Log(2);
        return terms.sum(-1).MoveToOuterDisposeScope();
    }

    /// <summary>E[x] = μ: [N, D].</summary>
    public Tensor Mean(Tensor decoderOutput)
    {
        var d = decoderOutput.size(-1) / 2;
        using var mu = decoderOutput.narrow(-1, 0, d);
        return mu.clone();
    }

    /// <summary>x = μ + b·(E₁ − E₂), the difference of two unit exponentials E = −log(1 − U): [N, D].</summary>
    public Tensor Sample(Tensor decoderOutput, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (mu, b) = Parameters(decoderOutput);
        var e1 = -(1 - rand(mu.shape, generator)).log();
        var e2 = -(1 - rand(mu.shape, generator)).log();
        return (mu + b * (e1 - e2)).MoveToOuterDisposeScope();
    }

    /// <summary>(μ, b) from the decoder output, b kept above min-scale so the density stays finite.</summary>
    private (Tensor Location, Tensor Scale) Parameters(Tensor decoderOutput)
    {
        var d = decoderOutput.size(-1) / 2;
        using var logScale = decoderOutput.narrow(-1, d, d);
        using var scale = logScale.exp();
        return (decoderOutput.narrow(-1, 0, d), scale.clamp_min(minScale));
    }
}

/// <summary>The plugin's keys: each public init property is one (likelihood.min-scale), its initialiser the default.</summary>
[ZooConfig]
public sealed partial record ZooSampleClassLikelihoodConfig
{
    [Description("smallest scale b of the Laplace, which keeps the density finite on constant pixels")]
    [Range(1e-6, 10.0)]
    public double MinScale { get; init; } = 1e-3;
}

[ZooPlugin("zoo-sample-name", Description = "Laplace likelihood p(x|z) from the decoder's location and log scale per dimension")]
public sealed partial class ZooSampleClassLikelihoodPlugin : LikelihoodPlugin<ZooSampleClassLikelihoodConfig>
{
    protected override ILikelihood Create(ZooSampleClassLikelihoodConfig config) => new ZooSampleClassLikelihood(config.MinScale);
}
