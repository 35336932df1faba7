using Zoo.Core.Evaluation;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Plugins.Decoders.Mlp;
using Zoo.Plugins.Encoders.GaussianMlp;
using Zoo.Plugins.Likelihoods.Bernoulli;
using Zoo.Plugins.Priors.StandardNormal;

namespace Zoo.Plugins.Tests;

/// <summary>Importance-weighted likelihoods, anomaly ranking, KL schedules and latent diagnostics.</summary>
public class LikelihoodTests
{
    /// <summary>
    /// A 1-D linear Gaussian model, p(z) = N(0, 1), p(x|z) = N(z, s²), whose marginal is known in closed form:
    /// p(x) = N(0, 1 + s²). The proposal is the exact posterior N(x/(1+s²), s²/(1+s²)) or a deliberately poor one.
    /// </summary>
    private sealed class LinearGaussian(double s2, bool exactPosterior) : IImportanceSampled
    {
        public DiagonalGaussian Encode(Tensor x) => exactPosterior
            ? new DiagonalGaussian(x / (1 + s2), full(x.shape, Math.Log(s2 / (1 + s2))))
            : new DiagonalGaussian(x * 0.2, full(x.shape, Math.Log(2.0)));

        public Tensor LogJoint(Tensor x, Tensor z)
        {
            using var scope = NewDisposeScope();
            var logLik = ((x - z).square() / s2 + Math.Log(2 * Math.PI * s2)).sum(-1) * -0.5;
            var logPrior = (z.square() + Math.Log(2 * Math.PI)).sum(-1) * -0.5;
            return (logLik + logPrior).MoveToOuterDisposeScope();
        }

        public double Exact(double x) => -0.5 * (x * x / (1 + s2) + Math.Log(2 * Math.PI * (1 + s2)));
    }

    private static readonly float[] Xs = [-2.5f, -0.3f, 0f, 0.7f, 1.9f, 3.2f, -1.1f];

    [Fact]
    public void With_the_exact_posterior_as_proposal_every_weight_is_p_of_x_whatever_k_and_chunking()
    {
        var model = new LinearGaussian(0.5, exactPosterior: true);
        using var x = tensor(Xs, [Xs.Length, 1]);
        using var g = new Generator(1);
        foreach (var (k, budget) in new[] { (1, 12_500), (50, 7), (50, 12_500), (333, 40) })
        {
            var got = ImportanceSampling.LogMarginal(model, x, k, g, budget);
            for (int i = 0; i < Xs.Length; i++) got[i].ShouldBe(model.Exact(Xs[i]), 2e-4, $"k={k} budget={budget} x={Xs[i]}");
        }
    }

    [Fact]
    public void With_a_poor_proposal_the_bound_is_loose_at_k_1_and_tightens_to_log_p_of_x_as_k_grows()
    {
        var model = new LinearGaussian(0.5, exactPosterior: false);
        using var x = tensor(Xs, [Xs.Length, 1]);
        using var g = new Generator(2);
        double Gap(int k, int budget) =>
            Enumerable.Range(0, Xs.Length).Select(i => model.Exact(Xs[i]) - ImportanceSampling.LogMarginal(model, x, k, g, budget)[i]).Average();
        var k1 = Enumerable.Range(0, 200).Select(_ => Gap(1, 12_500)).Average(); // E[log w] = ELBO, below log p(x)
        var k5000 = Gap(5000, 1000);                                              // five chunks per example
        k1.ShouldBeGreaterThan(0.3);
        Math.Abs(k5000).ShouldBeLessThan(0.02);
    }

    [Fact]
    public void Auroc_counts_pairs_ranked_correctly_with_ties_as_half()
    {
        Ranking.Auroc([3, 4, 5], [0, 1, 2]).ShouldBe(1.0);
        Ranking.Auroc([0, 1], [2, 3]).ShouldBe(0.0);
        Ranking.Auroc([1, 1], [1, 1]).ShouldBe(0.5);
        // Pairs (p, n): (2,1) yes, (2,3) no, (4,1) yes, (4,3) yes, (3,1) yes, (3,3) half → 4.5 of 6.
        Ranking.Auroc([2, 4, 3], [1, 3]).ShouldBe(4.5 / 6, 1e-12);
        Should.Throw<ArgumentException>(() => Ranking.Auroc([], [1]));
    }

    [Fact]
    public void Quantile_interpolates_linearly_between_order_statistics()
    {
        Ranking.Quantile([5, 1, 3, 2, 4], 0.5).ShouldBe(3);
        Ranking.Quantile([1, 2, 3, 4], 0.5).ShouldBe(2.5);
        Ranking.Quantile([10, 0], 0.99).ShouldBe(9.9, 1e-12);
        Ranking.Quantile([7], 0.3).ShouldBe(7);
    }

    private static VariationalAutoencoder Vae(ElboOptions options, Generator g) =>
        new("test-vae", new GaussianMlpEncoder(6, [8], Activation.Softplus, 3, g),
            new MlpDecoder(nn.MLP([3, 8, 6], Activation.Softplus, generator: g)), new BernoulliLikelihood(), new StandardNormalPrior(), 3, options);

    [Fact]
    public void Free_bits_loss_is_reconstruction_plus_the_clamped_batch_mean_kl_of_each_dimension()
    {
        using var g = new Generator(4);
        using var vae = Vae(new ElboOptions(FreeBits: 0.05), g);
        using var x = rand([5, 6], g).gt(0.5).to(float32);
        using var scope = NewDisposeScope();
        using var g1 = new Generator(7);
        var terms = vae.Loss(x, g1);
        var q = vae.Encode(x);
        var mu = q.Mean.data<float>();
        var lv = q.LogVar.data<float>();
        double freeBits = 0;
        for (int d = 0; d < 3; d++)
        {
            double mean = 0;
            for (int i = 0; i < 5; i++) mean += 0.5 * (mu[i * 3 + d] * mu[i * 3 + d] + Math.Exp(lv[i * 3 + d]) - lv[i * 3 + d] - 1) / 5;
            freeBits += Math.Max(0.05, mean);
        }
        var expected = -terms.Reconstruction.data<float>().Average() + freeBits;
        terms.Loss.item<float>().ShouldBe((float)expected, 1e-4f);
        // What is reported stays the ELBO.
        terms.Elbo.data<float>().ShouldBe((terms.Reconstruction - terms.Kl).data<float>());
    }

    [Fact]
    public void Kl_warmup_anneals_the_weight_linearly_per_step_up_to_beta()
    {
        using var g = new Generator(5);
        using var vae = Vae(new ElboOptions(Beta: 2, WarmupEpochs: 2), g);
        vae.KlWeight.ShouldBe(2.0); // outside training: the configured β
        vae.Progress(0, 10);
        vae.KlWeight.ShouldBe(2.0 * 1 / 20, 1e-12);
        vae.Progress(9, 10);
        vae.KlWeight.ShouldBe(2.0 * 10 / 20, 1e-12);
        vae.Progress(19, 10);
        vae.KlWeight.ShouldBe(2.0);
        vae.Progress(500, 10);
        vae.KlWeight.ShouldBe(2.0);

        // The loss uses the weight: at a weight of 0.1, loss = −mean(rec − 0.1·KL).
        using var x = rand([4, 6], g).gt(0.5).to(float32);
        using var scope = NewDisposeScope();
        vae.Progress(0, 10);
        var terms = vae.Loss(x, new Generator(1));
        terms.Loss.item<float>().ShouldBe(-(terms.Reconstruction - terms.Kl * 0.1).mean().item<float>(), 1e-5f);
    }

    [Fact]
    public void Free_bits_need_a_prior_that_factorises()
    {
        using var sp = Zoo.Services();
        Should.Throw<ArgumentException>(() => sp.Catalog().SmallRun("bernoulli-vae", "free-bits=0.5", "kl=monte-carlo"))
            .Message.ShouldContain("free-bits uses the closed-form KL of each dimension; set kl=analytic");
        // The model itself refuses a prior that does not factorise, whoever builds it.
        using var g = new Generator(1);
        using var encoder = new GaussianMlpEncoder(6, [8], Activation.Softplus, 3, g);
        using var network = nn.MLP([3, 6], Activation.Softplus, generator: g);
        Should.Throw<InvalidOperationException>(() => new VariationalAutoencoder("v", encoder, new MlpDecoder(network), new BernoulliLikelihood(),
                new MixturePrior.GaussianMixture.GaussianMixturePrior(2, 1, 1), 3, new ElboOptions(KlEstimator.MonteCarlo, FreeBits: 0.5)))
            .Message.ShouldContain("free bits need a prior that factorises");
    }
}
