using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Testing;

namespace Zoo.Plugins.Tests;

/// <summary>
/// The conv encoder and decoder plugins: the picture's sizes down and exactly back up (odd sizes too), a VAE of both
/// learning on MNIST, batch norm's running estimates surviving a resume, and one-line refusals for data that is no picture.
/// </summary>
[Collection("Serial")]
public class ConvNetworkTests
{
    [Theory]
    [InlineData(28, 28, "32,64", 4, 2)]   // 28 → 14 → 7 and back
    [InlineData(28, 20, "16,16,16", 4, 2)] // Frey faces' 28 × 20: 14 × 10 → 7 × 5 → 3 × 2 and back
    [InlineData(8, 8, "8", 3, 1)]         // stride 1 keeps the size
    public void The_decoder_writes_k_blocks_of_the_picture_the_encoder_reads(int height, int width, string channels, int kernel, int stride)
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        string[] keys = [$"channels={channels}", $"kernel={kernel}", $"stride={stride}", "hidden=32"];
        var encoderConfig = catalog.Encoder("conv").Config.Bind(Zoo.Pairs(keys), "encoder conv", catalog);
        var decoderConfig = catalog.Decoder("conv").Config.Bind(Zoo.Pairs(keys), "decoder conv", catalog);
        var data = new DataShape(height * width, height, width, 10);
        using var g = new Generator(1);
        var encoder = catalog.Encoder("conv").Create(encoderConfig, data, 5, g);
        var decoder = catalog.Decoder("conv").Create(decoderConfig, 5, data, 2, g);
        using var scope = NewDisposeScope();
        var q = encoder.Encode(rand([3, height * width], g));
        q.Mean.shape.ShouldBe([3L, 5]);
        decoder.Decode(q.Sample(g)).shape.ShouldBe([3L, 2L * height * width]);
        encoder.Module.Dispose();
        decoder.Module.Dispose();
    }

    [Fact]
    public void A_conv_vae_learns_mnist()
    {
        using var zoo = new TestZoo(); // conv is built in (its contract: PluginContractTests)
        var run = zoo.Train("vae", "encoder=conv", "decoder=conv", "encoder.channels=8,16", "decoder.channels=8,16", "encoder.hidden=64",
            "decoder.hidden=64", "latent=8", "dataset=mnist", "dataset.train-limit=1000", "dataset.test-limit=200", "epochs=2");
        run.Metrics[^1].TestElbo.ShouldBeGreaterThan(run.Metrics[0].TestElbo);
        run.Metrics[^1].TestElbo.ShouldBeGreaterThan(-400);
    }

    [Fact]
    public void Batch_norm_running_estimates_survive_a_resume()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var (a, b) = (Zoo.TempDir(), Zoo.TempDir());
        string[] conv = ["encoder=conv", "decoder=conv", "encoder.channels=4,8", "decoder.channels=4,8", "encoder.normalisation=batch",
                         "decoder.normalisation=batch", "encoder.hidden=16", "decoder.hidden=16", "dataset=noisy-halves", "dataset.train-limit=300",
                         "dataset.test-limit=100"];
        try
        {
            var full = catalog.SmallRun("vae", [.. conv, "epochs=2"]).Train(a, false, []).Metrics;
            catalog.SmallRun("vae", [.. conv, "epochs=1"]).Train(b, false, []);
            var resumed = catalog.SmallRun("vae", [.. conv, "epochs=2"]).Train(b, true, []).Metrics;
            // The test ELBO is computed in eval mode, from the running estimates: equal only if they were saved and loaded.
            resumed[^1].TestElbo.ShouldBe(full[^1].TestElbo);
            resumed[^1].TrainElbo.ShouldBe(full[^1].TrainElbo);
        }
        finally { Directory.Delete(a, true); Directory.Delete(b, true); }
    }

    [Fact]
    public void Data_that_is_no_picture_is_refused_in_one_line()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var config = catalog.Encoder("conv").Config.Bind([], "encoder conv", catalog);
        using var g = new Generator(1);
        Should.Throw<ConfigException>(() => catalog.Encoder("conv").Create(config, new DataShape(24, 1, 24, 2), 4, g))
            .Message.ShouldStartWith("encoder conv: a convolutional network reads pictures, and this run's inputs are 24 flat values");
        Should.Throw<ConfigException>(() => catalog.Encoder("conv").Create(config, 24, 4, g))
            .Message.ShouldBe("encoder conv: this model gives its encoder 24 flat values, not a picture; use gaussian-mlp");
        var deep = catalog.Encoder("conv").Config.Bind(Zoo.Pairs("channels=8,8,8,8,8,8"), "encoder conv", catalog);
        Should.Throw<ConfigException>(() => catalog.Encoder("conv").Create(deep, new DataShape(64, 8, 8, 4), 4, g))
            .Message.ShouldContain("shrink the 8×8 picture below 1×1 at layer");
    }
}
