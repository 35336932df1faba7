using Zoo.Core.Data;
using Zoo.Core.Data.Tabular;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Training;

/// <summary>
/// A run's data, as a data plugin loads it and a model prepares it: the training split as [0, 1] pixels (binarised per batch, so stochastic binarisation is
/// redrawn every epoch), and the test split binarised once (stochastically with a fixed seed) so that test figures
/// compare across epochs and runs. Thresholding is deterministic, so the training inputs are thresholded once
/// rather than per batch.
/// </summary>
public sealed class TrainingData : IDisposable
{
    public required ImageDataset Train { get; init; }
    /// <summary>
    /// The training inputs before per-batch binarisation: thresholded pixels for Threshold (as 0/1 bytes), [0, 1] pixels
    /// otherwise (Stochastic draws each batch from them), as floats or as uint8 codes whose first
    /// <see cref="TrainInputsEightBitColumns"/> columns are 8-bit pixels (<see cref="ImageDataset.Codes"/>). Use <see cref="TrainBatch"/>.
    /// </summary>
    public required Tensor TrainInputs { get; init; }
    public int TrainInputsEightBitColumns { get; init; }
    /// <summary>
    /// An epoch's rows, when they are not each training row once: row i of an epoch is row EpochRows[i] of
    /// <see cref="TrainInputs"/> (semi-supervised rows repeat the labelled ones; null otherwise). Indexed, not copied.
    /// </summary>
    public Tensor? EpochRows { get; init; }
    /// <summary>The rows of an epoch: what the trainer shuffles and batches.</summary>
    public int EpochCount => EpochRows is null ? Train.Count : (int)EpochRows.size(0);
    public required Binarization Binarization { get; init; }
    public required ImageDataset TestSet { get; init; }
    /// <summary>The test inputs as the model sees them: [N, D].</summary>
    public required Tensor Test { get; init; }
    public required DataShape Shape { get; init; }
    /// <summary>
    /// The validation inputs as the model sees them (binarised once, like the test split), held out of the training
    /// split for model selection; null when the run has none.
    /// </summary>
    public Tensor? Validation { get; init; }
    /// <summary>For a tabular data set: its layout and sensitive groups (the packed rows are Train/Test).</summary>
    public TabularData? Tabular { get; init; }
    /// <summary>Packed rows: host-side facts of each training row of an epoch (labelled, s group), for <see cref="IRowFactsLoss"/>.</summary>
    public RowFacts? TrainFacts { get; init; }

    /// <summary>
    /// Image data: the training inputs prepared for <paramref name="binarization"/> (thresholded once; stochastic
    /// draws per batch), the test (and validation) inputs binarised once with a fixed seed. Takes ownership of the sets.
    /// </summary>
    public static TrainingData FromImages(ImageDataset train, ImageDataset test, Binarization binarization, int classes, ImageDataset? validation = null)
    {
        var x = EvaluationInputs(test, binarization);
        Tensor? valid = null;
        if (validation is not null)
            using (validation) valid = EvaluationInputs(validation, binarization);
        // Thresholded once, and kept as bytes (0/1): a quarter of the memory of floats (141 MB less for MNIST); each
        // batch is widened to float32 after the gather, exactly. Images held as 8-bit codes stay so (see ImageDataset).
        var inputs = (binarization == Binarization.Threshold ? Thresholded(train) : (train.Codes ?? train.Images).alias()).DetachFromDisposeScope();
        return new TrainingData
        {
            Train = train, TrainInputs = inputs, TrainInputsEightBitColumns = binarization == Binarization.Threshold ? 0 : train.EightBitColumns,
            Binarization = binarization, TestSet = test, Test = x, Validation = valid,
            Shape = new DataShape(train.Channels * train.Height * train.Width, train.Height, train.Width, classes) { Channels = train.Channels },
        };
    }

    /// <summary>
    /// The threshold's bits of a set. Held as 8-bit codes, it is compared with the least code the threshold keeps (the
    /// float rule evaluated on all 256 codes), so no float copy of the whole set is made.
    /// </summary>
    private static Tensor Thresholded(ImageDataset set)
    {
        if (set.Codes is null || set.EightBitColumns != set.Codes.size(1)) return Batches.ThresholdBits(set.Images); // not all 8-bit pixels
        using var scope = NewDisposeScope();
        var kept = Batches.ThresholdBits(ImageDataset.Widen(arange(256).to(ScalarType.Byte).unsqueeze(0), 256)).data<byte>();
        var least = tensor(new[] { (byte)Array.IndexOf(kept, (byte)1) }, []); // a uint8 operand: a float one would cast the whole set to float
        return set.Codes.ge(least).to(ScalarType.Byte).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// Packed rows of a table, or of images with a nuisance s. In semi-supervised runs the labelled training rows are
    /// repeated until they are <paramref name="labelledShare"/> of an epoch. Image rows are binarised like images (per
    /// batch for stochastic); tables are not. Takes ownership of <paramref name="table"/>.
    /// </summary>
    public static TrainingData FromRows(string name, TabularData table, Binarization binarization, double labelledShare = 0)
    {
        if (table.Layout.Picture is null) binarization = Binarization.None;
        var width = table.Layout.Width;
        var labelled = table.Layout.LabelledRows(table.Train);
        var source = EpochSource(labelled, labelledShare);
        var facts = new RowFacts(Array.ConvertAll(source, i => labelled[i]),
            table.TrainSensitive.Length > 0 ? Array.ConvertAll(source, i => table.TrainSensitive[i]) : null);
        ImageDataset Set(string split, Tensor rows, long[] labels) => table.EightBitColumns > 0
            ? ImageDataset.FromCodes($"{name}-{split}", 1, width, rows.alias().DetachFromDisposeScope(), tensor(labels).DetachFromDisposeScope(), table.EightBitColumns)
            : ImageDataset.FromTensors($"{name}-{split}", 1, width, rows.alias().DetachFromDisposeScope(), tensor(labels).DetachFromDisposeScope());
        var test = Set("test", table.Test, table.TestLabels);
        return new TrainingData
        {
            Train = Set("train", table.Train, table.TrainLabels), TrainInputs = table.Train.alias().DetachFromDisposeScope(),
            TrainInputsEightBitColumns = table.EightBitColumns,
            EpochRows = source.Length == labelled.Length ? null : tensor(Array.ConvertAll(source, i => (long)i)).DetachFromDisposeScope(),
            Binarization = binarization, TestSet = test, Test = EvaluationInputs(test, binarization), Shape = TableShape(table.Layout),
            Tabular = table, TrainFacts = facts,
        };
    }

    /// <summary>
    /// The rows of one epoch, as rows of the split: every row once, then all the labelled ones again, as many times as
    /// they need to make up at least <paramref name="share"/> of it, so that a few labels still reach most batches (0 = no repeats).
    /// </summary>
    /// <param name="labelled">which rows of the split keep their label</param>
    /// <param name="share">the least share of the epoch the labelled rows make up (0 = no repeats)</param>
    public static int[] EpochSource(bool[] labelled, double share)
    {
        var kept = Enumerable.Range(0, labelled.Length).Where(i => labelled[i]).ToArray();
        int unlabelled = labelled.Length - kept.Length;
        // L·(1 + copies) ≥ share·(U + L·(1 + copies))  ⇔  1 + copies ≥ share·U / ((1 − share)·L)
        int copies = share <= 0 || kept.Length == 0 || unlabelled == 0 ? 0
            : (int)Math.Ceiling(share * unlabelled / ((1 - share) * kept.Length)) - 1;
        return [.. Enumerable.Range(0, labelled.Length), .. Enumerable.Repeat(kept, Math.Max(0, copies)).SelectMany(i => i)];
    }

    private static DataShape TableShape(TabularLayout layout) => new(layout.Width, 1, layout.Width, layout.Classes) { Table = layout };

    /// <summary>
    /// Held-out images as a model trained with <paramref name="binarization"/> sees them, binarised once with a fixed
    /// seed so that every evaluation of every run sees the same bits (test figures, likelihoods, anomaly scores).
    /// </summary>
    public static Tensor EvaluationInputs(ImageDataset images, Binarization binarization)
    {
        using var gen = new Generator(0x5EED_7E57);
        using var widened = images.Codes is { } codes ? ImageDataset.Widen(codes, images.EightBitColumns) : null; // for this once: not kept
        return Batches.Binarize(widened ?? images.Images, binarization, gen).DetachFromDisposeScope();
    }

    /// <summary>The model inputs of the training examples at <paramref name="index"/> (stochastic binarisation drawn from <paramref name="gen"/>).</summary>
    public Tensor TrainBatch(Tensor index, Generator gen)
    {
        Tensor x;
        if (TrainInputs.dtype == ScalarType.Byte) x = ImageDataset.Widen(TrainInputs, TrainInputsEightBitColumns, index, EpochRows);
        else
            using (var rows = EpochRows?.index_select(0, index))
                x = TrainInputs.index_select(0, rows ?? index);
        if (Binarization != Binarization.Stochastic) return x;
        using (x) return Batches.Binarize(x, Binarization.Stochastic, gen);
    }

    /// <summary>The first <paramref name="limit"/> examples of <paramref name="d"/> (all when 0), disposing the rest.</summary>
    public static ImageDataset Limit(ImageDataset d, int limit)
    {
        if (limit <= 0 || limit >= d.Count) return d;
        var part = d.Take(limit);
        d.Dispose();
        return part;
    }

    public void Dispose()
    {
        Train.Dispose();
        TrainInputs.Dispose();
        EpochRows?.Dispose();
        TestSet.Dispose();
        Test.Dispose();
        Validation?.Dispose();
        Tabular?.Dispose();
    }
}
