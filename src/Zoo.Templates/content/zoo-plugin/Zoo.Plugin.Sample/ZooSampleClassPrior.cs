using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugin.Sample;

/// <summary>
/// p(z) = N(0, s²I), a Gaussian prior with scale s. Change it into yours: LogProb and Sample are the contract, and
/// AnalyticKl gives KL(q || p) in closed form where there is one (return null otherwise: users then train with
/// kl=monte-carlo). The generic vae trains any prior (zoo train vae prior=zoo-sample-name).
/// </summary>
public sealed class ZooSampleClassPrior(double scale) : IPrior
{
    private readonly double logVariance = 2 * Math.Log(scale);

    /// <summary>log p(z) = −½ Σ_d (z_d² / s² + log 2πs²): [N].</summary>
    public Tensor LogProb(Tensor z)
    {
        using var scope = NewDisposeScope();
        var terms = z.square() / (scale * scale) + (Math.Log(2 * Math.PI) + logVariance);
        return (terms.sum(-1) * -0.5).MoveToOuterDisposeScope();
    }

    /// <summary>z = s·ε, ε ~ N(0, I): [n, d].</summary>
    public Tensor Sample(long n, long latentDim, Generator generator)
    {
        using var eps = randn([n, latentDim], generator);
        return eps * scale;
    }

    /// <summary>KL(q || N(0, s²I)) between diagonal Gaussians, per example: [N].</summary>
    public Tensor? AnalyticKl(DiagonalGaussian q)
    {
        using var mean = zeros_like(q.Mean);
        using var logVar = full(q.Mean.shape, logVariance);
        return q.KlTo(new DiagonalGaussian(mean, logVar));
    }
}

/// <summary>The plugin's keys: each public init property is one (prior.scale), its initialiser the default.</summary>
[ZooConfig]
public sealed partial record ZooSampleClassPriorConfig
{
    [Description("standard deviation s of every latent dimension")]
    [Range(1e-3, 1e3)]
    public double Scale { get; init; } = 1.0;
}

[ZooPlugin("zoo-sample-name", Description = "Gaussian prior N(0, s²I) with a closed-form KL")]
public sealed partial class ZooSampleClassPriorPlugin : PriorPlugin<ZooSampleClassPriorConfig>
{
    protected override IPrior Create(ZooSampleClassPriorConfig config) => new ZooSampleClassPrior(config.Scale);
}
