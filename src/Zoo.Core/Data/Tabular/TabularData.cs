using System.Globalization;
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
/// The layout of a packed row: [binary features | continuous features | one-hot s | one-hot y | labelled flag].
/// Binary features are the one-hot codes of nominal columns (Bernoulli likelihood); continuous ones are numeric
/// columns standardised with the training split's mean and deviation (Gaussian likelihood).
/// </summary>
public sealed record TabularLayout(int BinaryFeatures, int ContinuousFeatures, int SensitiveGroups, int Classes,
    IReadOnlyList<string> SensitiveNames, IReadOnlyList<string> ClassNames)
{
    public int Features => BinaryFeatures + ContinuousFeatures;
    public int Width => Features + SensitiveGroups + Classes + 1;
}

/// <summary>
/// A table turned into model inputs (ARFF or CSV; German credit from Debian's weka package by default).
/// Rows are packed so the generic trainer, checkpoints and job service carry them like images; the VFAE unpacks
/// them by <see cref="Layout"/>. The split is a seeded shuffle; standardisation uses the training rows only.
/// </summary>
public sealed class TabularData : IDisposable
{
    public required TabularLayout Layout { get; init; }
    /// <summary>Packed rows [N, Layout.Width].</summary>
    public required Tensor Train { get; init; }
    public required Tensor Test { get; init; }
    public required long[] TrainLabels { get; init; }
    public required long[] TestLabels { get; init; }
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
        if (layout.SensitiveGroups < 2) throw new InvalidDataException($"{path}: sensitive column '{o.Sensitive}' has a single value");

        // Which training rows keep their label: `labels` of them, spread evenly over the classes.
        var labelled = new bool[n];
        if (o.Labels <= 0 || o.Labels >= trainRows.Length) foreach (var i in trainRows) labelled[i] = true;
        else
        {
            var byClass = trainRows.GroupBy(i => y[i]).OrderBy(g => g.Key).Select(g => new Queue<int>(g)).ToList();
            for (int taken = 0; taken < o.Labels;)
                foreach (var q in byClass.Where(q => q.Count > 0))
                {
                    if (taken == o.Labels) break;
                    labelled[q.Dequeue()] = true;
                    taken++;
                }
        }
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
                col += layout.SensitiveGroups;
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

    public void Dispose()
    {
        Train.Dispose();
        Test.Dispose();
    }
}
