using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Plugins.Decoders.Mlp;
using Zoo.Plugins.Encoders.GaussianMlp;
using Zoo.Plugins.Likelihoods.Bernoulli;
using Zoo.Plugins.Likelihoods.Gaussian;
using Zoo.Plugins.Priors.StandardNormal;

namespace Zoo.Plugins.Tests;

public class VaeTests
{
    /// <summary>12×12 "bars" images: each row and column on with probability 1/8 (a few bits of structure per image).</summary>
    private static Tensor Bars(int n, Generator g)
    {
        using var scope = NewDisposeScope();
        var rows = rand([n, 12, 1], g).lt(0.125).to(float32).expand(n, 12, 12);
        var cols = rand([n, 1, 12], g).lt(0.125).to(float32).expand(n, 12, 12);
        return (rows + cols).clamp(0, 1).reshape(n, 144).MoveToOuterDisposeScope();
    }

    private static VariationalAutoencoder Vae(ILikelihood likelihood, ElboOptions options, Generator g) =>
        new("test-vae", new GaussianMlpEncoder(144, [64], Activation.Softplus, 4, g),
            new MlpDecoder(nn.MLP([4, 64, likelihood.OutputsPerDimension * 144L], Activation.Softplus, generator: g)),
            likelihood, new StandardNormalPrior(), 4, options);

    private static double TrainAndScore(ILikelihood likelihood, ElboOptions options, int steps, out double before)
    {
        using var g = new Generator(3);
        using var data = Bars(1000, g).DetachFromDisposeScope();
        using var test = Bars(500, g).DetachFromDisposeScope();
        using var vae = Vae(likelihood, options, g);
        using var adam = optim.Adam(vae.parameters(), lr: 3e-3);
        double Score()
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            using var eg = new Generator(9);
            return vae.Loss(test, eg).Elbo.mean().item<double>();
        }
        before = Score();
        for (int step = 0; step < steps; step++)
        {
            using var scope = NewDisposeScope();
            var x = data.narrow(0, step * 100 % 1000, 100);
            adam.zero_grad();
            var terms = vae.Loss(x, g);
            terms.Reconstruction.shape.ShouldBe([100]);
            terms.Kl.shape.ShouldBe([100]);
            terms.Loss.backward();
            adam.step();
        }
        return Score();
    }

    [Theory]
    [InlineData(KlEstimator.Analytic, 1)]
    [InlineData(KlEstimator.MonteCarlo, 3)]
    public void A_tiny_bernoulli_vae_on_synthetic_bars_improves_its_test_elbo(KlEstimator kl, int samples)
    {
        var after = TrainAndScore(new BernoulliLikelihood(), new ElboOptions(kl, samples), 300, out var before);
        // An untrained decoder costs ~144·log 2 ≈ 100 nats; 300 steps get a correct model to about −65.
        before.ShouldBeLessThan(-90);
        after.ShouldBeGreaterThan(-75, $"ELBO {before:F1} → {after:F1}");
    }

    [Fact]
    public void A_tiny_gaussian_vae_improves_its_test_elbo()
    {
        var after = TrainAndScore(new GaussianLikelihood(1e-2), new ElboOptions(), 300, out var before);
        (after - before).ShouldBeGreaterThan(100, $"ELBO {before:F1} → {after:F1}");
    }

    [Fact]
    public void Elbo_is_reconstruction_minus_kl_and_beta_weighs_the_kl_in_the_loss()
    {
        using var g = new Generator(1);
        using var x = Bars(20, g).DetachFromDisposeScope();
        using var vae = Vae(new BernoulliLikelihood(), new ElboOptions(Beta: 4), g);
        using var scope = NewDisposeScope();
        using var g1 = new Generator(5);
        var t = vae.Loss(x, g1);
        var elbo = t.Elbo.data<float>();
        var rec = t.Reconstruction.data<float>();
        var kl = t.Kl.data<float>();
        for (int i = 0; i < 20; i++) elbo[i].ShouldBe(rec[i] - kl[i], 1e-3);
        t.Loss.item<float>().ShouldBe(-(rec.Average() - 4 * kl.Average()), 1e-3);
    }

    [Fact]
    public void Analytic_kl_needs_a_prior_with_a_closed_form()
    {
        using var g = new Generator(1);
        using var x = Bars(4, g).DetachFromDisposeScope();
        using var vae = new VariationalAutoencoder("v", new GaussianMlpEncoder(144, [8], Activation.Softplus, 2, g),
            new MlpDecoder(nn.MLP([2, 144], Activation.Softplus, generator: g)), new BernoulliLikelihood(), new NoClosedFormPrior(), 2, new ElboOptions());
        using var scope = NewDisposeScope();
        Should.Throw<InvalidOperationException>(() => vae.Loss(x, g)).Message.ShouldContain("kl=monte-carlo");
    }

    private sealed class NoClosedFormPrior : IPrior
    {
        private readonly StandardNormalPrior inner = new();
        public Tensor LogProb(Tensor z) => inner.LogProb(z);
        public Tensor Sample(long n, long latentDim, Generator generator) => inner.Sample(n, latentDim, generator);
        public Tensor? AnalyticKl(DiagonalGaussian q) => null;
    }
}
