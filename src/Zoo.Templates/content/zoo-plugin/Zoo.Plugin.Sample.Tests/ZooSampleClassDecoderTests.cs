namespace Zoo.Plugin.Sample.Tests;

/// <summary>The decoder's shapes, gradients and a brief training run of the generic vae with it.</summary>
public class ZooSampleClassDecoderTests
{
    [Fact]
    public void It_maps_codes_to_the_outputs_asked_for()
    {
        using var g = new Generator(1);
        using var decoder = new ZooSampleClassDecoder(inputDim: 3, hiddenUnits: 16, outputDim: 20, g);
        using var z = randn([4, 3], g);
        using var output = decoder.Decode(z);
        Assert.Equal([4L, 20L], output.shape);
    }

    [Fact]
    public void Gradients_reach_the_code()
    {
        using var g = new Generator(2);
        using var decoder = new ZooSampleClassDecoder(2, 8, 5, g);
        using var z = GradientCheck.Uniform([3, 2], -1, 1);
        GradientCheck.Check(a => decoder.Decode(a[0].to(float32)), 1e-3, 1e-2, 1e-3, z.detach());
    }

    [Fact]
    public void The_generic_vae_trains_with_it()
    {
        using var zoo = new TestZoo(typeof(ZooSampleClassDecoderPlugin).Assembly);
        var run = zoo.Train("vae", "decoder=zoo-sample-name", "decoder.hidden=32");
        Assert.Equal(2, run.Metrics.Count);
    }
}
