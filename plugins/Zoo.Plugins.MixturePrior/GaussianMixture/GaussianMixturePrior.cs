using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.MixturePrior.GaussianMixture;

/// <summary>
/// p(z) = (1/K) Σ_k N(z; μ_k, s² I), K fixed means spread evenly on a circle of radius r in the first two latent
/// dimensions (zero in the others; on [−r, r] when the latent space is 1-D). A multimodal prior pulls the
/// posterior into clusters, which a 2-D latent plot shows. No closed-form KL from a Gaussian: use Monte Carlo.
/// </summary>
public sealed class GaussianMixturePrior(int components, double radius, double scale) : IPrior
{
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    /// <summary>μ: [K, d].</summary>
    public Tensor Means(long latentDim)
    {
        var means = new float[components * latentDim];
        for (int k = 0; k < components; k++)
        {
            if (latentDim == 1) { means[k] = (float)(components == 1 ? 0 : radius * (2.0 * k / (components - 1) - 1)); continue; }
            var angle = 2 * Math.PI * k / components;
            means[k * latentDim] = (float)(radius * Math.Cos(angle));
            means[k * latentDim + 1] = (float)(radius * Math.Sin(angle));
        }
        return tensor(means, [components, latentDim]);
    }

    /// <summary>log p(z) = logsumexp_k log N(z; μ_k, s² I) − log K: [N].</summary>
    public Tensor LogProb(Tensor z)
    {
        using var scope = NewDisposeScope();
        var d = z.size(-1);
        var diff = z.unsqueeze(1) - Means(d).unsqueeze(0);                  // [N, K, d]
        var logN = (diff.square().sum(-1) / (scale * scale) + d * (Log2Pi + 2 * Math.Log(scale))) * -0.5; // [N, K]
        return (logN.logsumexp(1) - Math.Log(components)).MoveToOuterDisposeScope();
    }

    public Tensor Sample(long n, long latentDim, Generator generator)
    {
        using var scope = NewDisposeScope();
        var k = randint(0, components, [n], generator);
        var mu = Means(latentDim).index_select(0, k);
        return (mu + randn([n, latentDim], generator) * scale).MoveToOuterDisposeScope();
    }

    public Tensor? AnalyticKl(DiagonalGaussian q) => null;
}

[ZooConfig]
public sealed partial record GaussianMixturePriorConfig
{
    /// <summary>number of mixture components K</summary>
    [Range(1, 1000)]
    public int Components { get; init; } = 10;

    /// <summary>radius r of the circle the component means lie on</summary>
    [Range(0.0, 100.0)]
    public double Radius { get; init; } = 2.0;

    /// <summary>standard deviation s of every component</summary>
    [Range(1e-3, 100.0)]
    public double Scale { get; init; } = 0.5;
}

/// <summary>a fixed mixture of K isotropic Gaussians on a circle (no closed-form KL: kl=monte-carlo)</summary>
[ZooPlugin("gaussian-mixture")]
public sealed partial class GaussianMixturePriorPlugin : PriorPlugin<GaussianMixturePriorConfig>
{
    protected override IPrior Create(GaussianMixturePriorConfig config) =>
        new GaussianMixturePrior(config.Components, config.Radius, config.Scale);
}
