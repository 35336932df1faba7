using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Plugins.Data;
using Zoo.Plugins.Decoders;
using Zoo.Plugins.Encoders;
using Zoo.Plugins.Likelihoods;
using Zoo.Plugins.Priors;
using Zoo.Plugins.Priors.StandardNormal;
using Zoo.Plugins.MixturePrior.GaussianMixture;
using Zoo.Plugins.Vae;

namespace Zoo.Plugins.Tests;

/// <summary>
/// The drop-in example assembly (docs/authoring-a-plugin.md): its prior's density, and the prior registered through its
/// marker and trained in the generic vae (`vae prior=gaussian-mixture kl=monte-carlo latent=2`).
/// </summary>
[Collection("Serial")]
public class MixturePriorTests
{
    [Fact]
    public void One_centred_unit_component_is_the_standard_normal()
    {
        using var g = new Generator(1);
        using var z = randn([50, 3], g);
        using var mixture = new GaussianMixturePrior(1, 0, 1).LogProb(z);
        using var normal = new StandardNormalPrior().LogProb(z);
        mixture.allclose(normal, rtol: 1e-5, atol: 1e-5).ShouldBeTrue();
    }

    [Fact]
    public void The_mixture_density_matches_a_hand_computation()
    {
        const int k = 4; const double r = 2, s = 0.7;
        double[][] points = [[0.3, -1.2], [2.0, 0.1], [-0.5, 1.9]];
        using var z = tensor(points.SelectMany(p => p.Select(v => (float)v)).ToArray(), [3, 2]);
        using var logpTensor = new GaussianMixturePrior(k, r, s).LogProb(z);
        var logp = logpTensor.data<float>();
        for (int i = 0; i < points.Length; i++)
        {
            double sum = 0;
            for (int c = 0; c < k; c++)
            {
                double mx = r * Math.Cos(2 * Math.PI * c / k), my = r * Math.Sin(2 * Math.PI * c / k);
                double d2 = Math.Pow(points[i][0] - mx, 2) + Math.Pow(points[i][1] - my, 2);
                sum += Math.Exp(-d2 / (2 * s * s)) / (2 * Math.PI * s * s);
            }
            ((double)logp[i]).ShouldBe(Math.Log(sum / k), 1e-4);
        }
    }

    [Fact]
    public void Samples_spread_evenly_over_the_components()
    {
        using var g = new Generator(5);
        var prior = new GaussianMixturePrior(4, 5, 0.1);
        using var z = prior.Sample(4000, 2, g);
        var xy = z.data<float>();
        var counts = new int[4];
        for (int i = 0; i < 4000; i++)
        {
            var angle = Math.Atan2(xy[2 * i + 1], xy[2 * i]);
            counts[((int)Math.Round(angle / (Math.PI / 2)) + 4) % 4]++;
        }
        counts.ShouldAllBe(c => c > 900 && c < 1100);
    }

    [Fact]
    public void The_prior_registers_through_its_marker_and_trains_in_the_generic_vae_with_monte_carlo_kl()
    {
        var services = new ServiceCollection().AddZooCore().AddZooPluginsLikelihoods().AddZooPluginsPriors().AddZooPluginsEncoders()
            .AddZooPluginsDecoders().AddZooPluginsData().AddZooPluginsVae();
        services.AddZooPluginAssembly(typeof(GaussianMixturePriorPlugin).Assembly).Plugins.ShouldBe(["prior gaussian-mixture"]);
        using var sp = services.BuildServiceProvider();
        var catalog = sp.GetRequiredService<PluginCatalog>();
        catalog.Prior("gaussian-mixture").Config.Keys.Select(k => k.Name).ShouldBe(["components", "radius", "scale"]);
        catalog.OfKind(PluginKind.Model).Select(p => p.Name).ShouldBe(["bernoulli-vae", "gaussian-vae", "iwae", "vae", "wae-mmd"]); // no model of its own

        var run = catalog.SmallRun("vae", "prior=gaussian-mixture", "kl=monte-carlo", "latent=2", "epochs=2", "prior.components=4");
        run.Values()["prior"].ShouldBe("gaussian-mixture");
        (run.Values()["prior.components"], run.Values()["prior.radius"], run.Values()["prior.scale"]).ShouldBe(("4", "2", "0.5"));
        Should.Throw<ConfigException>(() => catalog.SmallRun("vae", "prior=gaussian-mixture", "kl=monte-carlo", "prior.scale=0"))
            .Message.ShouldContain("prior.scale = 0 is out of range");

        // The prior has no closed-form KL: the model says so when built with kl=analytic.
        var analytic = catalog.SmallRun("vae", "prior=gaussian-mixture", "kl=analytic");
        using (var gen = new Generator(0))
            Should.Throw<ConfigException>(() => analytic.CreateModel(new DataShape(784, 28, 28, 10), gen)).Message.ShouldContain("set kl=monte-carlo");

        var dir = Zoo.TempDir();
        try
        {
            var metrics = run.Train(dir, false, []).Metrics;
            metrics.Count.ShouldBe(2);
            metrics[1].TestElbo.ShouldBeGreaterThan(metrics[0].TestElbo);
            metrics.ShouldAllBe(m => m.TestKl > 0 && double.IsFinite(m.TestElbo));
            using var trained = TrainedRun.Open(dir, catalog);
            ((ILatentPrior)trained.Model).Prior.ShouldBeOfType<GaussianMixturePrior>();
        }
        finally { Directory.Delete(dir, true); }
    }
}
