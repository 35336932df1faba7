namespace Zoo.Plugin.Sample.Tests;

/// <summary>The prior against the definition of a density, its closed-form KL against Monte Carlo, and a brief training run with it.</summary>
public class ZooSampleClassPriorTests
{
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.3)]
    public void The_density_integrates_to_one_in_one_and_two_dimensions(double scale)
    {
        DensityChecks.PriorIntegratesToOne(new ZooSampleClassPrior(scale), 1);
        DensityChecks.PriorIntegratesToOne(new ZooSampleClassPrior(scale), 2);
    }

    [Fact]
    public void The_closed_form_kl_agrees_with_monte_carlo() =>
        DensityChecks.AnalyticKlMatchesMonteCarlo(new ZooSampleClassPrior(2.0), [0.5, -1.0, 0.0], [-1.0, 0.3, 0.0]);

    [Fact]
    public void Samples_have_the_prior_s_scale()
    {
        using var g = new Generator(1);
        using var z = new ZooSampleClassPrior(3.0).Sample(20000, 2, g);
        using var sd = z.square().mean().sqrt();
        Assert.InRange(sd.item<float>(), 2.9, 3.1);
    }

    [Fact]
    public void The_generic_vae_trains_with_it()
    {
        using var zoo = new TestZoo(typeof(ZooSampleClassPriorPlugin).Assembly);
        var run = zoo.Train("vae", "prior=zoo-sample-name", "prior.scale=2");
        Assert.Equal(2, run.Metrics.Count);
    }
}
