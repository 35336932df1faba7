using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugin.Sample;

/// <summary>The plugin's keys (dataset.size, …) after those every data set of examples has (binarize, train-limit, test-limit).</summary>
[ZooConfig]
public sealed partial record ZooSampleClassDataConfig : ExamplesConfig
{
    [Description("side of the square images, in pixels")]
    [Range(4, 64)]
    public int Size { get; init; } = 8;

    [Description("images in the training split")]
    [Range(1, 1_000_000)]
    public int TrainExamples { get; init; } = 2000;

    [Description("images in the test split")]
    [Range(1, 1_000_000)]
    public int TestExamples { get; init; } = 500;
}

/// <summary>
/// Generated images of one bar each, horizontal or vertical, at any position: 2·size classes (the label is the bar).
/// Change it into yours: Load returns a training and a test split; a plugin that reads a user's file names its
/// extensions in FileExtensions, so that dataset=PATH picks it. Train with it: zoo train vae dataset=zoo-sample-name.
/// </summary>
[ZooPlugin("zoo-sample-name", Description = "generated size×size images of one horizontal or vertical bar (2·size classes)")]
public sealed partial class ZooSampleClassData : DataPlugin<ZooSampleClassDataConfig>
{
    protected override TrainingData Load(ZooSampleClassDataConfig config, DataRequest request) =>
        config.Examples(Generate("train", config.Size, config.TrainExamples, (ulong)request.Seed * 2 + 1),
                        Generate("test", config.Size, config.TestExamples, (ulong)request.Seed * 2 + 2),
                        request, classes: 2 * config.Size);

    /// <summary>n images [n, size²] in {0, 1} and their labels [n]: label k &lt; size is the row k, else the column k − size.</summary>
    public static ImageDataset Generate(string split, int size, int n, ulong seed)
    {
        var bars = new float[2 * size * size * size];
        for (int k = 0; k < size; k++)
            for (int i = 0; i < size; i++)
            {
                bars[k * size * size + k * size + i] = 1;            // row k
                bars[(size + k) * size * size + i * size + k] = 1;   // column k
            }
        using var generator = new Generator(seed);
        using var all = tensor(bars, [2 * size, size * size]);
        var labels = randint(0, 2 * size, [n], generator);
        var images = all.index_select(0, labels);
        return ImageDataset.FromTensors($"zoo-sample-name-{split}", size, size, images, labels);
    }
}
