using Zoo.Core.Plugins;

namespace Zoo.Plugin.Sample.Tests;

/// <summary>The model's loss against its definition, its parts from the command line, and a brief training run.</summary>
public class ZooSampleClassModelTests
{
    [Fact]
    public void The_elbo_is_reconstruction_minus_kl_and_the_loss_weights_the_kl_by_beta()
    {
        using var zoo = new TestZoo(typeof(ZooSampleClassModelPlugin).Assembly);
        var run = zoo.Bind("zoo-sample-name", "beta=3", "latent=2", "encoder.hidden=16", "decoder.hidden=16");
        using var g = new Generator(1);
        using var model = run.CreateModel(new DataShape(16, 4, 4, 0), g);
        using var x = bernoulli(full([8, 16], 0.3), g);
        var terms = model.Loss(x, g);
        using var elbo = terms.Reconstruction - terms.Kl;
        Assert.True(elbo.allclose(terms.Elbo));
        using var expected = -(terms.Reconstruction - terms.Kl * 3).mean();
        Assert.Equal(expected.item<float>(), terms.Loss.item<float>(), 4);
        foreach (var t in new[] { terms.Loss, terms.Reconstruction, terms.Kl, terms.Elbo }) t.Dispose();
    }

    [Fact]
    public void It_trains_briefly_with_other_parts()
    {
        using var zoo = new TestZoo(typeof(ZooSampleClassModelPlugin).Assembly);
        var run = zoo.Train("zoo-sample-name", "likelihood=gaussian", "dataset.binarize=none", "encoder.hidden=32", "decoder.hidden=32", "latent=2");
        Assert.Equal(2, run.Metrics.Count);
    }
}
