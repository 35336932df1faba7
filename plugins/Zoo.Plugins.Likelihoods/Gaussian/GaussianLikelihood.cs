using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Likelihoods.Gaussian;

/// <summary>
/// p(x|z) = N(x; μ, diag σ²) with learned per-dimension variance (seed 001: μ and log σ² heads). The decoder emits
/// [μ | r] and log σ² = m + softplus(r − m), a smooth floor at m = log(min-variance): without a floor, pixels that
/// are constant in the data (MNIST's black border) drive σ² → 0 and the likelihood to +∞.
/// </summary>
public sealed class GaussianLikelihood(double minVariance) : ILikelihood
{
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);
    private readonly double minLogVar = Math.Log(minVariance);

    public int OutputsPerDimension => 2;

    /// <summary>(μ, log σ²) from the decoder output [N, 2D].</summary>
    public (Tensor Mean, Tensor LogVar) Parameters(Tensor decoderOutput)
    {
        var d = decoderOutput.size(-1) / 2;
        using var raw = decoderOutput.narrow(-1, d, d);
        using var shifted = raw - minLogVar;
        using var floor = shifted.softplus();
        return (decoderOutput.narrow(-1, 0, d), floor + minLogVar);
    }

    /// <summary>−½ Σ_j [log 2π + log σ_j² + (x_j − μ_j)² / σ_j²]: [N].</summary>
    public Tensor LogProb(Tensor decoderOutput, Tensor x)
    {
        using var scope = NewDisposeScope();
        var (mu, logVar) = Parameters(decoderOutput);
        var quad = (x - mu).square() * (-logVar).exp();
        return ((quad + logVar + Log2Pi).sum(-1) * -0.5).MoveToOuterDisposeScope();
    }

    public Tensor Mean(Tensor decoderOutput)
    {
        var d = decoderOutput.size(-1) / 2;
        return decoderOutput.narrow(-1, 0, d).clone();
    }

    public Tensor Sample(Tensor decoderOutput, Generator generator)
    {
        using var scope = NewDisposeScope();
        var (mu, logVar) = Parameters(decoderOutput);
        return (mu + (logVar * 0.5).exp() * randn(mu.shape, generator)).MoveToOuterDisposeScope();
    }
}

[ZooConfig]
public sealed partial record GaussianLikelihoodConfig
{
    [Description("floor of the learned variance σ² (smooth), which keeps the likelihood finite on constant pixels")]
    [Range(1e-8, 1.0)]
    public double MinVariance { get; init; } = 1e-3;
}

[ZooPlugin("gaussian", Description = "Gaussian with learned diagonal variance, for continuous data (decoder emits μ and log σ²)")]
public sealed partial class GaussianLikelihoodPlugin : LikelihoodPlugin<GaussianLikelihoodConfig>
{
    protected override ILikelihood Create(GaussianLikelihoodConfig config) => new GaussianLikelihood(config.MinVariance);
}
