namespace Zoo.Plugin.Sample.Tests;

/// <summary>The data set's images and labels, its keys, and a brief training run of the generic vae on it.</summary>
public class ZooSampleClassDataTests
{
    [Fact]
    public void Each_image_is_the_bar_its_label_names()
    {
        using var data = ZooSampleClassData.Generate("test", size: 6, n: 50, seed: 3);
        var images = data.Images.data<float>();
        var labels = data.Labels.data<long>();
        for (int i = 0; i < 50; i++)
        {
            var k = (int)labels[i];
            for (int p = 0; p < 36; p++)
            {
                var onBar = k < 6 ? p / 6 == k : p % 6 == k - 6;
                Assert.Equal(onBar ? 1f : 0f, images[i * 36 + p]);
            }
        }
    }

    [Fact]
    public void Its_keys_bind_and_the_run_loads_both_splits()
    {
        using var zoo = new TestZoo(typeof(ZooSampleClassData).Assembly);
        var run = zoo.Bind("vae", "dataset=zoo-sample-name", "dataset.size=10", "dataset.train-examples=300", "dataset.test-examples=100");
        using var data = run.LoadData();
        Assert.Equal(100, data.Shape.Dimensions);
        Assert.Equal(300, data.Train.Count);
        Assert.Equal(100, data.TestSet.Count);
    }

    [Fact]
    public void The_generic_vae_trains_on_it()
    {
        using var zoo = new TestZoo(typeof(ZooSampleClassData).Assembly);
        var run = zoo.Train("vae", "dataset=zoo-sample-name", "dataset.train-examples=600", "dataset.test-examples=200", "encoder.hidden=32", "decoder.hidden=32");
        Assert.Equal(2, run.Metrics.Count);
    }
}
