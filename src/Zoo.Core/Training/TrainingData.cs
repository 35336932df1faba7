using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Training;

/// <summary>
/// A config's data: the training split as [0, 1] pixels (binarised per batch, so stochastic binarisation is
/// redrawn every epoch), and the test split binarised once (stochastically with a fixed seed) so that test figures
/// compare across epochs and runs.
/// </summary>
public sealed class TrainingData : IDisposable
{
    public required ImageDataset Train { get; init; }
    public required ImageDataset TestSet { get; init; }
    /// <summary>The test inputs as the model sees them: [N, D].</summary>
    public required Tensor Test { get; init; }
    public required DataShape Shape { get; init; }

    public static TrainingData Load(ITrainingConfig cfg)
    {
        var train = Limit(DataSources.Load(cfg.Dataset, "train"), cfg.TrainLimit);
        var test = Limit(DataSources.Load(cfg.Dataset, "test"), cfg.TestLimit);
        using var gen = new Generator(0x5EED_7E57);
        var x = Batches.Binarize(test.Images, cfg.Binarization, gen).DetachFromDisposeScope();
        return new TrainingData
        {
            Train = train, TestSet = test, Test = x,
            Shape = new DataShape(train.Height * train.Width, train.Height, train.Width, 10),
        };
    }

    private static ImageDataset Limit(ImageDataset d, int limit)
    {
        if (limit <= 0 || limit >= d.Count) return d;
        var part = d.Take(limit);
        d.Dispose();
        return part;
    }

    public void Dispose()
    {
        Train.Dispose();
        TestSet.Dispose();
        Test.Dispose();
    }
}
