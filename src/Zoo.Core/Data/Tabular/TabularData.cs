using System.Globalization;
using Zoo.Core.Data;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Data.Tabular;

/// <summary>
/// What a tabular data set is made of, from the config: the label column, the sensitive column s (a nominal column,
/// or a numeric one binarised as value &gt; threshold), the test fraction and seed of the split, and how many training
/// rows keep their label (0 = all; the rest are unlabelled for semi-supervised training).
/// </summary>
public sealed record TabularOptions(string Target, string Sensitive, double SensitiveThreshold, double TestFraction, int Seed, int Labels);

/// <summary>
/// Which images are the model's inputs and which pixels are its nuisance variable: s is the last
/// <see cref="SensitivePixels"/> pixels (seed 000's MNIST set-up), y the digit, <see cref="Labels"/> training images
/// keep their label (0 = all), chosen with <see cref="Seed"/>.
/// </summary>
public sealed record ImageRowOptions(int SensitivePixels, int Seed, int Labels);

/// <summary>
/// The layout of a packed row: [binary features | continuous features | s | one-hot y | labelled flag].
/// Binary features are the one-hot codes of nominal columns (Bernoulli likelihood); continuous ones are numeric
/// columns standardised with the training split's mean and deviation (Gaussian likelihood). s is either a table
/// column's one-hot group (<see cref="SensitiveNames"/> name the groups) or, for images, raw features: the last
/// pixels of the picture (no names, no groups), so that x and s together are the picture's first columns.
/// </summary>
public sealed record TabularLayout(int BinaryFeatures, int ContinuousFeatures, int SensitiveWidth, int Classes,
    IReadOnlyList<string> SensitiveNames, IReadOnlyList<string> ClassNames)
{
    public int Features => BinaryFeatures + ContinuousFeatures;
    public int Width => Features + SensitiveWidth + Classes + 1;
    /// <summary>Whether s is a one-hot group (MMD and fairness probes need groups).</summary>
    public bool SensitiveIsGroup => SensitiveNames.Count > 0;
    /// <summary>The number of s groups; 0 when s is raw features.</summary>
    public int SensitiveGroups => SensitiveIsGroup ? SensitiveWidth : 0;
    /// <summary>For rows made from images: the picture's size; its pixels are the first Height·Width columns (x, then s).</summary>
    public (int Height, int Width)? Picture { get; init; }

    /// <summary>Which packed rows carry their label, read to the host: the last column flags them (1 labelled, 0 not).</summary>
    public bool[] LabelledRows(Tensor rows)
    {
        using var scope = NewDisposeScope();
        return Array.ConvertAll(rows.narrow(1, Width - 1, 1).squeeze(1).to(float32).data<float>(), f => f > 0.5f);
    }
}

/// <summary>
/// A table turned into model inputs (ARFF or CSV; German credit from Debian's weka package by default).
/// Rows are packed so the generic trainer, checkpoints and job service carry them like images; the VFAE unpacks
/// them by <see cref="Layout"/>. The split is a seeded shuffle; standardisation uses the training rows only.
/// </summary>
public sealed class TabularData : IDisposable
{
    public required TabularLayout Layout { get; init; }
    /// <summary>Packed rows [N, Layout.Width]: floats, or uint8 codes when <see cref="EightBitColumns"/> is above 0.</summary>
    public required Tensor Train { get; init; }
    public required Tensor Test { get; init; }
    /// <summary>
    /// For rows of 8-bit images: the rows are held as uint8 codes whose first EightBitColumns columns (the picture) are
    /// 8-bit pixels and the rest 0/1 (<see cref="ImageDataset.Widen"/>); 0 for float rows.
    /// </summary>
    public int EightBitColumns { get; init; }
    public required long[] TrainLabels { get; init; }
    public required long[] TestLabels { get; init; }
    /// <summary>Each row's s group (empty when s is raw features, as for images).</summary>
    public required long[] TrainSensitive { get; init; }
    public required long[] TestSensitive { get; init; }

    public static TabularData Load(string path, TabularOptions o)
    {
        var table = Table.Read(path);
        int target = table.IndexOf(o.Target), sensitive = table.IndexOf(o.Sensitive);
        if (target == sensitive) throw new ArgumentException($"{path}: the label and the sensitive column are both '{o.Target}'");
        var targetColumn = table.Columns[target];
        if (targetColumn.IsNumeric) throw new InvalidDataException($"{path}: label column '{o.Target}' is numeric; expected a nominal column");
        var sensitiveColumn = table.Columns[sensitive];
        int n = table.Rows.Count;
        if (n < 4) throw new InvalidDataException($"{path}: {n} rows; need at least 4 to split");

        // Labels and groups; a row missing either cannot be used and is reported.
        var y = new long[n];
        var s = new long[n];
        for (int i = 0; i < n; i++)
        {
            var row = table.Rows[i];
            if (row[target] is null) throw new InvalidDataException($"{path}:{table.Lines[i]}: label '{o.Target}' is missing");
            if (row[sensitive] is null) throw new InvalidDataException($"{path}:{table.Lines[i]}: sensitive column '{o.Sensitive}' is missing");
            y[i] = targetColumn.Code(row[target]!);
            s[i] = sensitiveColumn.IsNumeric
                ? (double.Parse(row[sensitive]!, CultureInfo.InvariantCulture) > o.SensitiveThreshold ? 1 : 0)
                : sensitiveColumn.Code(row[sensitive]!);
        }
        var sensitiveNames = sensitiveColumn.IsNumeric
            ? new[] { $"{sensitiveColumn.Name}<={o.SensitiveThreshold.ToString(CultureInfo.InvariantCulture)}", $"{sensitiveColumn.Name}>{o.SensitiveThreshold.ToString(CultureInfo.InvariantCulture)}" }
            : sensitiveColumn.Values!.ToArray();

        // Seeded split.
        var order = Enumerable.Range(0, n).ToArray();
        new Random(o.Seed).Shuffle(order);
        int testCount = Math.Clamp((int)Math.Round(n * o.TestFraction), 1, n - 1);
        var testRows = order[..testCount];
        var trainRows = order[testCount..];

        // Features: nominal columns one-hot first, then numeric standardised on the training rows.
        var featureColumns = Enumerable.Range(0, table.Columns.Count).Where(c => c != target && c != sensitive).ToList();
        var nominal = featureColumns.Where(c => !table.Columns[c].IsNumeric).ToList();
        var numeric = featureColumns.Where(c => table.Columns[c].IsNumeric).ToList();
        int binary = nominal.Sum(c => table.Columns[c].Values!.Count);
        var stats = numeric.Select(c =>
        {
            var v = trainRows.Select(i => table.Rows[i][c]).Where(x => x is not null).Select(x => double.Parse(x!, CultureInfo.InvariantCulture)).ToList();
            double mean = v.Count > 0 ? v.Average() : 0;
            double sd = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 1;
            return (mean, sd: sd > 0 ? sd : 1);
        }).ToList();
        var layout = new TabularLayout(binary, numeric.Count, sensitiveNames.Length, targetColumn.Values!.Count, sensitiveNames, targetColumn.Values!.ToArray());
        if (layout.SensitiveGroups < 2 || s.Distinct().Count() < 2) throw new InvalidDataException($"{path}: sensitive column '{o.Sensitive}' has a single value; s needs at least two groups");
        if (y.Distinct().Count() < 2) throw new InvalidDataException($"{path}: label column '{o.Target}' has a single class; a classifier needs at least two");

        var labelled = new bool[n];
        ChooseLabelled(trainRows, y, o.Labels, labelled);
        foreach (var i in testRows) labelled[i] = true;

        Tensor Pack(int[] rows)
        {
            var data = new float[rows.Length * layout.Width];
            for (int r = 0; r < rows.Length; r++)
            {
                var row = table.Rows[rows[r]];
                int at = r * layout.Width, col = 0;
                foreach (var c in nominal)
                {
                    var values = table.Columns[c].Values!;
                    if (row[c] is { } v) data[at + col + table.Columns[c].Code(v)] = 1; // missing: all zeros
                    col += values.Count;
                }
                for (int k = 0; k < numeric.Count; k++, col++)
                    data[at + col] = row[numeric[k]] is { } v ? (float)((double.Parse(v, CultureInfo.InvariantCulture) - stats[k].mean) / stats[k].sd) : 0f;
                data[at + col + s[rows[r]]] = 1;
                col += layout.SensitiveWidth;
                data[at + col + y[rows[r]]] = 1;
                col += layout.Classes;
                data[at + col] = labelled[rows[r]] ? 1 : 0;
            }
            return tensor(data, [rows.Length, layout.Width]).DetachFromDisposeScope();
        }

        return new TabularData
        {
            Layout = layout, Train = Pack(trainRows), Test = Pack(testRows),
            TrainLabels = trainRows.Select(i => y[i]).ToArray(), TestLabels = testRows.Select(i => y[i]).ToArray(),
            TrainSensitive = trainRows.Select(i => s[i]).ToArray(), TestSensitive = testRows.Select(i => s[i]).ToArray(),
        };
    }

    /// <summary>
    /// Images as packed rows [pixels | one-hot y | labelled]: x is all but the last <see cref="ImageRowOptions.SensitivePixels"/>
    /// pixels, s those pixels (raw, binarised with x by the trainer). Both splits keep their order; the labelled
    /// training images are drawn with the seed, evenly over the classes. The rows hold [0, 1] pixels; the one-hot
    /// and flag columns are 0 or 1, which binarisation leaves as they are.
    /// </summary>
    public static TabularData FromImages(ImageDataset train, ImageDataset test, ImageRowOptions o)
    {
        int pixels = train.Height * train.Width;
        if (o.SensitivePixels < 1 || o.SensitivePixels >= pixels)
            throw new ArgumentException($"sensitive-pixels must be in [1, {pixels - 1}] for {train.Name} ({train.Height}x{train.Width}), found {o.SensitivePixels}");
        using var scope = NewDisposeScope();
        var trainLabels = train.Labels.data<long>();
        var testLabels = test.Labels.data<long>();
        int classes = (int)Math.Max(trainLabels.Max(), testLabels.Max()) + 1;
        var layout = new TabularLayout(pixels - o.SensitivePixels, 0, o.SensitivePixels, classes, [],
            Enumerable.Range(0, classes).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray()) { Picture = (train.Height, train.Width) };

        var order = Enumerable.Range(0, train.Count).ToArray();
        new Random(o.Seed).Shuffle(order);
        var labelled = new bool[train.Count];
        ChooseLabelled(order, trainLabels, o.Labels, labelled);

        // Images held as 8-bit codes are packed as codes (a quarter of the floats' memory), widened a batch at a time.
        bool codes = train.Codes is not null && test.Codes is not null && train.EightBitColumns == pixels && test.EightBitColumns == pixels;
        Tensor Pack(ImageDataset d, bool[]? flags)
        {
            var dtype = codes ? ScalarType.Byte : ScalarType.Float32;
            var flag = (flags is null ? ones([d.Count, 1]) : tensor(flags.Select(f => f ? 1f : 0f).ToArray(), [d.Count, 1])).to(dtype);
            var y = nn.functional.one_hot(d.Labels, classes).to(dtype);
            return cat([codes ? d.Codes! : d.Images.reshape(d.Count, pixels), y, flag], 1).DetachFromDisposeScope();
        }
        return new TabularData
        {
            Layout = layout, Train = Pack(train, labelled), Test = Pack(test, null), EightBitColumns = codes ? pixels : 0,
            TrainLabels = trainLabels, TestLabels = testLabels, TrainSensitive = [], TestSensitive = [],
        };
    }

    /// <summary>
    /// A copy in which only <paramref name="labels"/> training rows keep their label (in their order, evenly over the
    /// classes; all when 0): the rest are unlabelled for semi-supervised training. The test rows stay labelled.
    /// </summary>
    public TabularData WithLabels(int labels)
    {
        using var scope = NewDisposeScope();
        var rows = Enumerable.Range(0, TrainLabels.Length).ToArray();
        var labelled = new bool[rows.Length];
        ChooseLabelled(rows, TrainLabels, labels, labelled);
        var flags = tensor(labelled.Select(f => f ? 1f : 0f).ToArray(), [rows.Length, 1]).to(Train.dtype);
        var train = cat([Train.narrow(1, 0, Layout.Width - 1), flags], 1);
        return new TabularData
        {
            Layout = Layout, Train = train.DetachFromDisposeScope(), Test = Test.clone().DetachFromDisposeScope(), EightBitColumns = EightBitColumns,
            TrainLabels = TrainLabels, TestLabels = TestLabels, TrainSensitive = TrainSensitive, TestSensitive = TestSensitive,
        };
    }

    /// <summary>Marks <paramref name="labels"/> of <paramref name="rows"/> (in their order) labelled, evenly over the classes; all when 0.</summary>
    private static void ChooseLabelled(int[] rows, long[] y, int labels, bool[] labelled)
    {
        if (labels <= 0 || labels >= rows.Length)
        {
            foreach (var i in rows) labelled[i] = true;
            return;
        }
        var byClass = rows.GroupBy(i => y[i]).OrderBy(g => g.Key).Select(g => new Queue<int>(g)).ToList();
        for (int taken = 0; taken < labels;)
            foreach (var q in byClass.Where(q => q.Count > 0))
            {
                if (taken == labels) break;
                labelled[q.Dequeue()] = true;
                taken++;
            }
    }

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
