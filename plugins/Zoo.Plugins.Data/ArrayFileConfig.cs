using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Data.Arrays;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Data;

/// <summary>
/// The keys of a user's array file (.npy, .npz, .csv): where it is, how its rows split into training and test, and
/// the picture a row is. uint8 arrays are pixels and are scaled to [0, 1]; other types are used as they are.
/// </summary>
[ZooConfig]
public abstract partial record ArrayFileConfig : ExamplesConfig
{
    [Description("path to the file")]
    [Required]
    public string Path { get; init; } = "";

    [Description("fraction of the rows held out as the test split (a shuffle seeded with split-seed; ignored where the file has its own test array)")]
    [Range(0.01, 0.9)]
    public double TestFraction { get; init; } = 0.1;

    [Description("seed of the train/test shuffle (kept apart from the run's seed, so every run of a file tests on the same rows)")]
    [Range(0, int.MaxValue)]
    public int SplitSeed { get; init; }

    [Description("height of the picture a row of N×D data is, for samples and reconstructions (0 = square if D is a square, else one row)")]
    [Range(0, 1_000_000)]
    public int Height { get; init; }

    /// <summary>
    /// Training data from <paramref name="x"/> (N×D or N×H×W) and optional labels; split by <see cref="TestFraction"/>
    /// unless <paramref name="testX"/> is given.
    /// </summary>
    public TrainingData Examples(string source, NumericArray x, long[]? labels, NumericArray? testX, long[]? testLabels, DataRequest request)
    {
        var (n, d, h, w, c) = x.AsExamples(source);
        if (n < 2 && testX is null) throw new ArrayFormatException(source, $"{n} rows; need at least 2 to split into training and test");
        if (labels is not null && labels.Length != n) throw new ArrayFormatException(source, $"{labels.Length} labels for {n} rows");
        if (h == 1) (h, w) = Picture(source, d);
        ImageDataset Set(string split, NumericArray array, long[]? y, int[] rows)
        {
            var values = new float[(long)rows.Length * d];
            int hw = d / c;
            for (int r = 0; r < rows.Length; r++)
                for (int j = 0; j < d; j++) // value j of the row is channel j / hw of pixel j % hw; the array keeps a pixel's channels together
                    values[(long)r * d + j] = array.Values[(long)rows[r] * d + j % hw * c + j / hw];
            var lab = rows.Select(i => y?[i] ?? 0).ToArray();
            using var raw = tensor(values, [rows.Length, d]);
            // uint8 arrays are 8-bit pixels, scaled as every 8-bit image is (the IDX and PNG readers' rule)
            var pixels = array.IsUInt8 ? ImageDataset.FromEightBit(raw) : raw.clone();
            return ImageDataset.FromTensors($"{System.IO.Path.GetFileNameWithoutExtension(source)}-{split}", h, w,
                pixels.DetachFromDisposeScope(), tensor(lab).DetachFromDisposeScope(), c);
        }
        ImageDataset train, test;
        if (testX is not null)
        {
            var (m, dt, _, _, _) = testX.AsExamples(source + " (test)");
            if (dt != d) throw new ArrayFormatException(source, $"the test array has {dt} values per row, the training array {d}");
            if (testLabels is not null && testLabels.Length != m) throw new ArrayFormatException(source, $"{testLabels.Length} test labels for {m} test rows");
            train = Set("train", x, labels, Enumerable.Range(0, n).ToArray());
            test = Set("test", testX, testLabels, Enumerable.Range(0, m).ToArray());
        }
        else
        {
            var order = Enumerable.Range(0, n).ToArray();
            new Random(SplitSeed).Shuffle(order);
            int testCount = Math.Clamp((int)Math.Round(n * TestFraction), 1, n - 1);
            train = Set("train", x, labels, order[testCount..]);
            test = Set("test", x, labels, order[..testCount]);
        }
        var all = (labels ?? []).Concat(testLabels ?? []).DefaultIfEmpty(0);
        return Examples(train, test, request, classes: (int)all.Max() + 1);
    }

    private (int Height, int Width) Picture(string source, int d)
    {
        if (Height > 0)
            return d % Height == 0 ? (Height, d / Height)
                : throw new ConfigException($"{source}: height = {Height} does not divide the {d} values of a row");
        int side = (int)Math.Round(Math.Sqrt(d));
        return side * side == d ? (side, side) : (1, d);
    }
}
