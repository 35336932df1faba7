namespace Zoo.Plugin.Sample.Tests;

/// <summary>The likelihood against the definition of a density, its gradients, and a brief training run of the generic vae with it.</summary>
public class ZooSampleClassLikelihoodTests
{
    private static readonly ZooSampleClassLikelihood Likelihood = new(minScale: 1e-3);

    [Theory]
    [InlineData(0.0, 0.0)]
    [InlineData(0.4, -2.0)]
    [InlineData(-1.5, 1.0)]
    public void The_density_integrates_to_one_and_samples_have_its_mean(double location, double logScale)
    {
        DensityChecks.LikelihoodIntegratesToOne(Likelihood, [location, logScale], location - 40, location + 40);
        DensityChecks.SampleMeanMatchesMean(Likelihood, [location, logScale]);
    }

    [Fact]
    public void Gradients_match_finite_differences()
    {
        using var output = GradientCheck.Uniform([3, 4], -1, 1);  // 3 examples, 2 dimensions: μ and log b side by side
        using var x = GradientCheck.Uniform([3, 2], -1, 1, seed: 8);
        GradientCheck.Check(a => Likelihood.LogProb(a[0], x), output.detach());
    }

    [Fact]
    public void It_frees_every_tensor_it_makes()
    {
        using var output = zeros(5, 4);
        using var x = ones(5, 2);
        TensorLeaks.None(() => { using var logp = Likelihood.LogProb(output, x); });
    }

    [Fact]
    public void The_generic_vae_trains_with_it()
    {
        using var zoo = new TestZoo(typeof(ZooSampleClassLikelihoodPlugin).Assembly);
        Assert.IsType<ZooSampleClassLikelihoodPlugin>(zoo.Catalog.Likelihood("zoo-sample-name"));
        var run = zoo.Train("vae", "likelihood=zoo-sample-name", "likelihood.min-scale=0.01", "dataset.binarize=none");
        Assert.Equal(2, run.Metrics.Count);
    }
}
