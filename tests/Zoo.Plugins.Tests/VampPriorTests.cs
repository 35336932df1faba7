using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Plugins.Encoders.GaussianMlp;
using Zoo.Plugins.Priors.Vamp;
using Zoo.Testing;

namespace Zoo.Plugins.Tests;

/// <summary>
/// The VampPrior: its density against a direct computation in doubles, a density that integrates to 1, samples with the
/// mixture's mean, gradients reaching the pseudo-inputs, and a vae with prior=vamp that learns, trains its pseudo-inputs
/// and resumes from a checkpoint bit for bit.
/// </summary>
[Collection("Serial")]
public class VampPriorTests
{
    /// <summary>A VampPrior of <paramref name="components"/> pseudo-inputs spread over [0, 1] (some clamped), attached to a small encoder.</summary>
    private static (VampPrior Prior, GaussianMlpEncoder Encoder) Attached(int components, int latent, Generator g, int inputs = 12)
    {
        var encoder = new GaussianMlpEncoder(inputs, [8], Activation.Softplus, latent, g);
        var prior = new VampPrior(components, 0.5, 0.4);
        prior.Attach(encoder, new DataShape(inputs, 1, inputs, 2), g);
        return (prior, encoder);
    }

    private static void Dispose((VampPrior Prior, GaussianMlpEncoder Encoder) attached)
    {
        attached.Prior.Module.Dispose();
        attached.Encoder.Module.Dispose();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void The_pseudo_inputs_stay_in_the_unit_interval_only_when_asked(bool unitRange)
    {
        using var g = new Generator(4);
        using var encoder = new GaussianMlpEncoder(6, [8], Activation.Softplus, 2, g);
        // Initial values near 5: clamped to 1 for pixels, kept for data outside [0, 1].
        var prior = new VampPrior(3, 5.0, 0.5, unitRange);
        prior.Attach(encoder, new DataShape(6, 1, 6, 2), g);
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var raw = prior.Module.named_parameters().Single().parameter;
            raw.min().item<float>().ShouldBeGreaterThan(1f);
            var expected = encoder.Encode(unitRange ? ones([3, 6]) : raw).Mean.data<float>().ToArray();
            prior.Mixture().Mean.data<float>().ToArray().ShouldBe(expected, 1e-6);
        }
        finally { prior.Module.Dispose(); }
    }

    [Fact]
    public void The_density_matches_a_direct_computation()
    {
        const int k = 7, d = 3, n = 10;
        using var g = new Generator(1);
        var attached = Attached(k, d, g);
        try
        {
            using var scope = NewDisposeScope();
            // The first row lies far from every component: the logsumexp must not underflow.
            var z = cat([full([1, d], 40.0), randn([n - 1, d], g) * 2]);
            var logp = attached.Prior.LogProb(z).to(float64).data<double>();
            var q = attached.Prior.Mixture();
            var (mean, logVar, zs) = (q.Mean.to(float64).data<double>(), q.LogVar.to(float64).data<double>(), z.to(float64).data<double>());
            for (int i = 0; i < n; i++)
            {
                var terms = new double[k];
                for (int c = 0; c < k; c++)
                {
                    double sum = 0;
                    for (int j = 0; j < d; j++)
                    {
                        double diff = zs[i * d + j] - mean[c * d + j], v = logVar[c * d + j];
                        sum += -0.5 * (Math.Log(2 * Math.PI) + v + diff * diff / Math.Exp(v));
                    }
                    terms[c] = sum;
                }
                var max = terms.Max();
                var expected = max + Math.Log(terms.Sum(t => Math.Exp(t - max))) - Math.Log(k);
                logp[i].ShouldBe(expected, Math.Abs(expected) * 1e-5 + 1e-4, $"row {i}");
            }

            // Rows with leading dimensions (S samples of N rows) give one value per row.
            attached.Prior.LogProb(z.reshape(2, n / 2, d)).shape.ShouldBe([2L, n / 2]);
        }
        finally { Dispose(attached); }
    }

    [Fact]
    public void The_density_integrates_to_one()
    {
        using var g = new Generator(2);
        foreach (var latent in new[] { 1, 2 })
        {
            var attached = Attached(5, latent, g);
            try
            {
                using var _ = no_grad();
                DensityChecks.PriorIntegratesToOne(attached.Prior, latent);
            }
            finally { Dispose(attached); }
        }
    }

    [Fact]
    public void Samples_have_the_mixture_mean()
    {
        const int n = 40000;
        using var g = new Generator(3);
        var attached = Attached(4, 2, g);
        try
        {
            using var scope = NewDisposeScope();
            using var _ = no_grad();
            var z = attached.Prior.Sample(n, 2, g).to(float64).data<double>();
            // E z = (1/K) Σ μ_k; the sample's own spread sets the tolerance.
            var expected = attached.Prior.Mixture().Mean.mean(0).to(float64).data<double>();
            for (int j = 0; j < 2; j++)
            {
                var values = Enumerable.Range(0, n).Select(i => z[2 * i + j]).ToArray();
                double mean = values.Average(), sd = Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (n - 1));
                mean.ShouldBe(expected[j], 5 * sd / Math.Sqrt(n));
            }
            Should.Throw<ArgumentException>(() => attached.Prior.Sample(3, 5, g)).Message.ShouldContain("the encoder gives 2 latent dimensions");
        }
        finally { Dispose(attached); }
    }

    [Fact]
    public void Gradients_reach_the_pseudo_inputs_and_the_encoder()
    {
        using var g = new Generator(4);
        var attached = Attached(6, 3, g);
        try
        {
            using var scope = NewDisposeScope();
            attached.Prior.LogProb(randn([5, 3], g)).sum().backward();
            var pseudoInputs = attached.Prior.Module.parameters().ShouldHaveSingleItem();
            pseudoInputs.shape.ShouldBe([6L, 12]);
            pseudoInputs.grad.ShouldNotBeNull().abs().sum().item<float>().ShouldBeGreaterThan(0);
            attached.Encoder.Module.parameters().ShouldAllBe(p => p.grad != null);
        }
        finally { Dispose(attached); }
    }

    [Fact]
    public void An_unattached_prior_says_so()
    {
        using var z = zeros(2, 3);
        Should.Throw<InvalidOperationException>(() => new VampPrior(3, 0.05, 0.01).LogProb(z)).Message.ShouldContain("not attached to an encoder");
    }

    [Fact]
    public void A_vae_with_the_vamp_prior_learns_trains_its_pseudo_inputs_and_resumes_bit_for_bit()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        PluginContract.Problem(catalog.Prior("vamp"), catalog).ShouldBeNull();
        string[] vamp = ["prior=vamp", "kl=monte-carlo", "prior.components=20"];
        // The prior has no closed-form KL: the vae says so when built with kl=analytic.
        using (var gen = new Generator(0))
            Should.Throw<ConfigException>(() => catalog.SmallRun("vae", "prior=vamp").CreateModel(new DataShape(784, 28, 28, 10), gen))
                .Message.ShouldContain("set kl=monte-carlo");

        var (a, b) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            var full = catalog.SmallRun("vae", [.. vamp, "epochs=2"]).Train(a, false, []).Metrics;
            full[1].TestElbo.ShouldBeGreaterThan(full[0].TestElbo);
            catalog.SmallRun("vae", [.. vamp, "epochs=1"]).Train(b, false, []);
            var afterOne = PseudoInputs(b, catalog);
            afterOne.Length.ShouldBe(20 * 784);
            var resumed = catalog.SmallRun("vae", [.. vamp, "epochs=2"]).Train(b, true, []).Metrics;
            resumed[^1].TestElbo.ShouldBe(full[^1].TestElbo);
            resumed[^1].TrainElbo.ShouldBe(full[^1].TrainElbo);
            var (resumedInputs, fullInputs) = (PseudoInputs(b, catalog), PseudoInputs(a, catalog));
            resumedInputs.ShouldBe(fullInputs);         // saved and resumed with the networks
            resumedInputs.ShouldNotBe(afterOne);        // and trained by the optimiser
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }

    /// <summary>The raw pseudo-input parameter of a run's checkpoint, as the model registers it ("prior").</summary>
    private static float[] PseudoInputs(string dir, PluginCatalog catalog)
    {
        using var run = TrainedRun.Open(dir, catalog);
        return run.Model.Module.state_dict()["prior.pseudo_inputs"].data<float>();
    }
}
