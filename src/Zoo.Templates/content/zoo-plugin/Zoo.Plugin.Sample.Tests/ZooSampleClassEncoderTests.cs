namespace Zoo.Plugin.Sample.Tests;

/// <summary>The encoder's shapes, gradients and a brief training run of the generic vae with it.</summary>
public class ZooSampleClassEncoderTests
{
    [Fact]
    public void It_maps_inputs_to_a_gaussian_of_the_latent_size()
    {
        using var g = new Generator(1);
        using var encoder = new ZooSampleClassEncoder(inputDim: 10, hiddenUnits: 16, latentDim: 3, g);
        using var x = rand([4, 10], g);
        var q = encoder.Encode(x);
        Assert.Equal([4L, 3L], q.Mean.shape);
        Assert.Equal([4L, 3L], q.LogVar.shape);
        q.Mean.Dispose();
        q.LogVar.Dispose();
    }

    [Fact]
    public void Gradients_reach_the_input()
    {
        using var g = new Generator(2);
        using var encoder = new ZooSampleClassEncoder(6, 8, 2, g);
        using var x = GradientCheck.Uniform([3, 6], 0, 1);
        // float32 network: a coarser step and tolerance than the float64 default.
        GradientCheck.Check(a => { var q = encoder.Encode(a[0].to(float32)); return q.Mean + q.LogVar; }, 1e-3, 1e-2, 1e-3, x.detach());
    }

    [Fact]
    public void The_generic_vae_trains_with_it()
    {
        using var zoo = new TestZoo(typeof(ZooSampleClassEncoderPlugin).Assembly);
        var run = zoo.Train("vae", "encoder=zoo-sample-name", "encoder.hidden=32");
        Assert.Equal(2, run.Metrics.Count);
    }
}
