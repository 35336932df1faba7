using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Plugins.Decoders.Mlp;
using Zoo.Plugins.Encoders.GaussianMlp;
using Zoo.Plugins.Likelihoods.Bernoulli;
using Zoo.Plugins.Priors.StandardNormal;
using Zoo.Plugins.Vae.Iwae;

namespace Zoo.Plugins.Tests;

public class IwaeTests
{
    private const int D = 36, Latent = 3;

    private static VariationalAutoencoder Vae(ElboOptions options, ulong seed)
    {
        using var g = new Generator(seed);
        return new VariationalAutoencoder("test", new GaussianMlpEncoder(D, [16], Activation.Tanh, Latent, g),
            new MlpDecoder(nn.MLP([Latent, 16, D], Activation.Tanh, generator: g)), new BernoulliLikelihood(), new StandardNormalPrior(), Latent, options);
    }

    private static Tensor Bits(int n, ulong seed)
    {
        using var g = new Generator(seed);
        using var p = rand([n, D], g);
        return p.lt(0.3).to(float32);
    }

    [Fact]
    public void With_one_sample_the_bound_is_the_elbo_with_a_monte_carlo_kl_from_the_same_draw()
    {
        using var x = Bits(8, 1);
        using var vae = Vae(new ElboOptions(KlEstimator.MonteCarlo), 7);
        using var iwae = new ImportanceWeightedAutoencoder(Vae(new ElboOptions(KlEstimator.MonteCarlo), 7), 1);
        using var scope = NewDisposeScope();
        using var g1 = new Generator(5);
        using var g2 = new Generator(5);
        var elbo = vae.Loss(x, g1);
        var bound = iwae.Loss(x, g2);
        bound.Elbo.data<float>().ToArray().ShouldBe(elbo.Elbo.data<float>().ToArray(), 1e-4);
        bound.Reconstruction.data<float>().ToArray().ShouldBe(elbo.Reconstruction.data<float>().ToArray(), 1e-4);
        bound.Kl.data<float>().ToArray().ShouldBe(elbo.Kl.data<float>().ToArray(), 1e-4);
        bound.Loss.item<float>().ShouldBe(elbo.Loss.item<float>(), 1e-4);
    }

    [Fact]
    public void The_bound_is_log_mean_of_the_importance_weights_computed_by_hand()
    {
        const int k = 4, n = 3;
        using var x = Bits(n, 2);
        using var iwae = new ImportanceWeightedAutoencoder(Vae(new ElboOptions(KlEstimator.MonteCarlo, k), 11), k);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        using var g = new Generator(13);
        var terms = iwae.Loss(x, g);

        // The same draws by hand: ε ~ N(0, I) as [k, N, d], z = μ + σ ε, then log w_i = log p(x, z_i) − log q(z_i|x) row by row.
        using var hand = new Generator(13);
        var q = iwae.Encode(x);
        var eps = randn([k, n, Latent], hand);
        var mu = q.Mean.data<float>().ToArray();
        var logVar = q.LogVar.data<float>().ToArray();
        var e = eps.data<float>().ToArray();
        for (int row = 0; row < n; row++)
        {
            var logW = new double[k];
            double rec = 0, kl = 0;
            for (int i = 0; i < k; i++)
            {
                var z = new float[Latent];
                double logQ = 0, logP = 0;
                for (int j = 0; j < Latent; j++)
                {
                    double m = mu[row * Latent + j], lv = logVar[row * Latent + j], eij = e[(i * n + row) * Latent + j];
                    z[j] = (float)(m + Math.Exp(lv / 2) * eij);
                    logQ += -0.5 * (Math.Log(2 * Math.PI) + lv + eij * eij);
                    logP += -0.5 * (Math.Log(2 * Math.PI) + z[j] * (double)z[j]);
                }
                using var zt = tensor(z, [1, Latent]);
                using var xr = x.narrow(0, row, 1);
                using var joint = iwae.LogJoint(xr, zt);
                double logJoint = joint.item<float>();
                logW[i] = logJoint - logQ;
                rec += logJoint - logP;
                kl += logQ - logP;
            }
            double max = logW.Max();
            double bound = max + Math.Log(logW.Sum(w => Math.Exp(w - max)) / k);
            ((double)terms.Elbo.data<float>()[row]).ShouldBe(bound, 1e-3);
            ((double)terms.Reconstruction.data<float>()[row]).ShouldBe(rec / k, 1e-3);
            ((double)terms.Kl.data<float>()[row]).ShouldBe(kl / k, 1e-3);
        }
        terms.Loss.item<float>().ShouldBe(-terms.Elbo.mean().item<float>(), 1e-5);
    }

    [Fact]
    public void More_samples_give_a_tighter_bound_than_the_elbo()
    {
        using var x = Bits(300, 3);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        double Mean(int k)
        {
            using var iwae = new ImportanceWeightedAutoencoder(Vae(new ElboOptions(KlEstimator.MonteCarlo, k), 17), k);
            using var g = new Generator(19);
            return iwae.Loss(x, g).Elbo.mean().item<double>();
        }
        var (one, fifty) = (Mean(1), Mean(50));
        fifty.ShouldBeGreaterThan(one + 0.1, $"L_1 = {one:F3}, L_50 = {fifty:F3}");
    }

    [Fact]
    public void An_iwae_run_trains_on_mnist_improves_and_names_its_bound_in_the_metrics()
    {
        using var sp = Zoo.Services();
        var dir = Zoo.TempDir();
        try
        {
            var run = sp.Catalog().SmallRun("iwae", "k=3", "dataset.validation=200");
            var result = run.Train(dir, false, sp.Catalog().Callbacks());
            result.Metrics.Select(m => m.Bound).ShouldAllBe(b => b == "iwae_k3");
            result.Metrics[^1].TestElbo.ShouldBeGreaterThan(result.Metrics[0].TestElbo);
            var header = File.ReadAllLines(Path.Combine(dir, "metrics.csv"))[0];
            header.ShouldStartWith("epoch,train_iwae_k3,train_reconstruction,train_kl,train_loss,valid_iwae_k3,test_iwae_k3,");
            // A bound at least as tight as the ELBO of the same samples.
            result.Metrics.ShouldAllBe(m => m.TestElbo >= m.TestReconstruction - m.TestKl - 1e-6);
        }
        finally { Directory.Delete(dir, true); }
    }
}
