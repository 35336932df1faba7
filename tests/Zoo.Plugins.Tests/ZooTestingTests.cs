using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Plugins.Likelihoods.Bernoulli;
using Zoo.Plugins.Likelihoods.Gaussian;
using Zoo.Plugins.Priors.StandardNormal;
using Zoo.Testing;

namespace Zoo.Plugins.Tests;

/// <summary>
/// Zoo.Testing, the checks plugin authors get in the package: each passes for the built-in plugins and fails, with
/// what it expected and found, for a plugin with a planted mistake.
/// </summary>
[Collection("Serial")]
public class ZooTestingTests
{
    /// <summary>The Gaussian likelihood without its normaliser's 2π: proportional to a density, not one.</summary>
    private sealed class UnnormalisedGaussian : ILikelihood
    {
        private readonly GaussianLikelihood inner = new(1e-8);
        public int OutputsPerDimension => 2;
        public Tensor LogProb(Tensor output, Tensor x) { using var lp = inner.LogProb(output, x); return lp + 0.5 * Math.Log(2 * Math.PI); }
        public Tensor Mean(Tensor output) => inner.Mean(output);
        public Tensor Sample(Tensor output, Generator g) => inner.Sample(output, g);
    }

    /// <summary>The Gaussian likelihood whose Mean is off by 0.1.</summary>
    private sealed class ShiftedMean : ILikelihood
    {
        private readonly GaussianLikelihood inner = new(1e-8);
        public int OutputsPerDimension => 2;
        public Tensor LogProb(Tensor output, Tensor x) => inner.LogProb(output, x);
        public Tensor Mean(Tensor output) { using var m = inner.Mean(output); return m + 0.1; }
        public Tensor Sample(Tensor output, Generator g) => inner.Sample(output, g);
    }

    /// <summary>N(0, I) whose closed-form KL forgets the −1 of each dimension.</summary>
    private sealed class WrongKl : IPrior
    {
        private readonly StandardNormalPrior inner = new();
        public Tensor LogProb(Tensor z) => inner.LogProb(z);
        public Tensor Sample(long n, long d, Generator g) => inner.Sample(n, d, g);
        public Tensor? AnalyticKl(DiagonalGaussian q) { using var kl = inner.AnalyticKl(q)!; return kl + 0.5 * q.Mean.shape[1]; }
    }

    [Fact]
    public void Built_in_densities_pass()
    {
        DensityChecks.LikelihoodIntegratesToOne(new GaussianLikelihood(1e-8), [0.3, Math.Log(0.25)], -6, 6);
        DensityChecks.SampleMeanMatchesMean(new GaussianLikelihood(1e-8), [0.3, Math.Log(0.25)]);
        DensityChecks.LikelihoodSumsToOne(new BernoulliLikelihood(), [-1.3], [0, 1]);
        DensityChecks.SampleMeanMatchesMean(new BernoulliLikelihood(), [0.7]);
        DensityChecks.PriorIntegratesToOne(new StandardNormalPrior(), 1);
        DensityChecks.PriorIntegratesToOne(new StandardNormalPrior(), 2);
        DensityChecks.AnalyticKlMatchesMonteCarlo(new StandardNormalPrior(), [0.5, -1], [Math.Log(0.3), 0.4]);
    }

    [Fact]
    public void Planted_mistakes_fail_with_expected_and_found()
    {
        Should.Throw<ZooCheckException>(() => DensityChecks.LikelihoodIntegratesToOne(new UnnormalisedGaussian(), [0.3, 0], -8, 8))
            .Message.ShouldContain("expected 1 ± 0.002, found 2.5066");
        Should.Throw<ZooCheckException>(() => DensityChecks.SampleMeanMatchesMean(new ShiftedMean(), [0.3, 0]))
            .Message.ShouldContain("against Mean: expected 0.4");
        Should.Throw<ZooCheckException>(() => DensityChecks.AnalyticKlMatchesMonteCarlo(new WrongKl(), [0.5, -1], [0, 0]))
            .Message.ShouldContain("closed-form KL");
        Should.Throw<ArgumentException>(() => DensityChecks.LikelihoodSumsToOne(new BernoulliLikelihood(), [0.1, 0.2], [0, 1]))
            .Message.ShouldContain("takes 1 decoder output(s) per dimension; 2 given");
    }

    [Fact]
    public void A_wrong_gradient_fails_the_finite_difference_check()
    {
        using var x = GradientCheck.Uniform([5], -1, 1);
        GradientCheck.Check(a => a[0] * a[0], x.detach());
        // x·stop_gradient(x): autograd sees d/dx = x, the function's derivative is 2x.
        Should.Throw<ZooCheckException>(() => GradientCheck.Check(a => a[0] * a[0].detach(), x.detach()))
            .Message.ShouldContain("differs from finite difference");
    }

    [Fact]
    public void A_leaked_tensor_is_counted()
    {
        TensorLeaks.None(() => { using var t = ones(3); });
        Tensor? kept = null;
        Should.Throw<ZooCheckException>(() => TensorLeaks.None(() => { kept = ones(3); })).Message.ShouldContain("1 native tensor(s) leaked");
        kept!.Dispose();
    }

    [Fact]
    public void A_brief_run_of_the_generic_vae_with_a_part_trains_and_is_checked()
    {
        using var zoo = new TestZoo();
        var result = zoo.Train("vae", "likelihood=gaussian", "encoder.hidden=32", "decoder.hidden=32", "latent=2");
        result.Metrics.Count.ShouldBe(2);
        result.Metrics[^1].TestElbo.ShouldBeGreaterThan(result.Metrics[0].TestElbo - 5);
        Should.Throw<ConfigException>(() => zoo.Train("vae", "likelihood=laplace")).Message.ShouldContain("laplace");
    }
}
