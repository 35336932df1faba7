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
    /// The training inputs before per-batch binarisation: thresholded pixels for Threshold (as bytes), [0, 1] pixels otherwise
    /// (Stochastic draws each batch from them). Use <see cref="TrainBatch"/>.
    /// </summary>
    public required Tensor TrainInputs { get; init; }
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
        // batch is widened to float32 after the gather, exactly.
        var inputs = (binarization == Binarization.Threshold ? Batches.ThresholdBits(train.Images) : train.Images.alias()).DetachFromDisposeScope();
        return new TrainingData
        {
            Train = train, TrainInputs = inputs, Binarization = binarization, TestSet = test, Test = x, Validation = valid,
            Shape = new DataShape(train.Channels * train.Height * train.Width, train.Height, train.Width, classes) { Channels = train.Channels },
        };
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
        var epochRows = Oversample(table.Train, table.TrainLabels, table.Layout, labelledShare, out var epochLabels, out var source);
        var labelled = table.Layout.LabelledRows(table.Train);
        var facts = new RowFacts(Array.ConvertAll(source, i => labelled[i]),
            table.TrainSensitive.Length > 0 ? Array.ConvertAll(source, i => table.TrainSensitive[i]) : null);
        var train = ImageDataset.FromTensors($"{name}-train", 1, width, epochRows, tensor(epochLabels).DetachFromDisposeScope());
        var test = ImageDataset.FromTensors($"{name}-test", 1, width, table.Test.alias().DetachFromDisposeScope(),
            tensor(table.TestLabels).DetachFromDisposeScope());
        return new TrainingData
        {
            Train = train, TrainInputs = epochRows.alias().DetachFromDisposeScope(), Binarization = binarization, TestSet = test,
            Test = EvaluationInputs(test, binarization), Shape = TableShape(table.Layout), Tabular = table, TrainFacts = facts,
        };
    }

    /// <summary>
    /// The rows of one epoch: every row once, the labelled ones repeated (whole copies) until they make up at least
    /// <paramref name="share"/> of it, so that a few labels still reach most batches (0 = no repeats).
    /// </summary>
    public static Tensor Oversample(Tensor rows, long[] labels, TabularLayout layout, double share, out long[] epochLabels) =>
        Oversample(rows, labels, layout, share, out epochLabels, out _);

    /// <summary>
    /// <see cref="Oversample(Tensor, long[], TabularLayout, double, out long[])"/>, and where each row of the epoch
    /// comes from.
    /// </summary>
    /// <param name="rows">the split's rows; the last column flags the labelled ones</param>
    /// <param name="labels">the rows' labels, one per row</param>
    /// <param name="layout">the rows' columns</param>
    /// <param name="share">the least share of the epoch the labelled rows make up (0 = no repeats)</param>
    /// <param name="epochLabels">the epoch rows' labels</param>
    /// <param name="source">For each row of the epoch, the row of <paramref name="rows"/> it is.</param>
    public static Tensor Oversample(Tensor rows, long[] labels, TabularLayout layout, double share, out long[] epochLabels, out int[] source)
    {
        using var scope = NewDisposeScope();
        var flags = layout.LabelledRows(rows);
        var labelled = Enumerable.Range(0, flags.Length).Where(i => flags[i]).ToArray();
        int unlabelled = flags.Length - labelled.Length;
        // L·(1 + copies) ≥ share·(U + L·(1 + copies))  ⇔  1 + copies ≥ share·U / ((1 − share)·L)
        int copies = share <= 0 || labelled.Length == 0 || unlabelled == 0 ? 0
            : (int)Math.Ceiling(share * unlabelled / ((1 - share) * labelled.Length)) - 1;
        if (copies <= 0)
        {
            source = Enumerable.Range(0, flags.Length).ToArray();
            epochLabels = labels;
            return rows.alias().DetachFromDisposeScope();
        }
        var extra = Enumerable.Repeat(labelled, copies).SelectMany(i => i).ToArray();
        source = [.. Enumerable.Range(0, flags.Length), .. extra];
        epochLabels = [.. labels, .. extra.Select(i => labels[i])];
        var index = tensor(extra.Select(i => (long)i).ToArray());
        return cat([rows, rows.index_select(0, index)]).DetachFromDisposeScope();
    }

    private static DataShape TableShape(TabularLayout layout) => new(layout.Width, 1, layout.Width, layout.Classes) { Table = layout };

    /// <summary>
    /// Held-out images as a model trained with <paramref name="binarization"/> sees them, binarised once with a fixed
    /// seed so that every evaluation of every run sees the same bits (test figures, likelihoods, anomaly scores).
    /// </summary>
    public static Tensor EvaluationInputs(ImageDataset images, Binarization binarization)
    {
        using var gen = new Generator(0x5EED_7E57);
        return Batches.Binarize(images.Images, binarization, gen).DetachFromDisposeScope();
    }

    /// <summary>The model inputs of the training examples at <paramref name="index"/> (stochastic binarisation drawn from <paramref name="gen"/>).</summary>
    public Tensor TrainBatch(Tensor index, Generator gen)
    {
        var x = TrainInputs.index_select(0, index);
        if (x.dtype == ScalarType.Byte)
        {
            var bits = x;
            using (bits) x = bits.to(float32);
        }
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
        TestSet.Dispose();
        Test.Dispose();
        Validation?.Dispose();
        Tabular?.Dispose();
    }
}
