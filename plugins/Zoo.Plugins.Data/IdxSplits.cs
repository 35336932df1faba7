using Zoo.Core.Data;
using Zoo.Torch;

namespace Zoo.Plugins.Data;

/// <summary>The train and t10k IDX files of MNIST-shaped data sets, with a clear error naming the file and how to install it.</summary>
internal static class IdxSplits
{
    public static ImageDataset Load(string dataset, string split, string dir, string suffix, string installHint)
    {
        var prefix = split == "train" ? "train" : "t10k";
        var images = Path.Combine(dir, $"{prefix}-images-idx3-ubyte{suffix}");
        var labels = Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{suffix}");
        foreach (var f in new[] { images, labels })
            InputFile.Require(f, "IDX", missing: $"{dataset} {split} data not found at {f}: {installHint}");
        return ImageDataset.FromIdx($"{dataset}-{split}", images, labels);
    }

    /// <summary>Both splits; the training split is freed if the test split fails to load.</summary>
    public static (ImageDataset Train, ImageDataset Test) LoadBoth(string dataset, string dir, string suffix, string installHint)
    {
        var train = Load(dataset, "train", dir, suffix, installHint);
        try { return (train, Load(dataset, "test", dir, suffix, installHint)); }
        catch
        {
            train.Dispose();
            throw;
        }
    }
}
