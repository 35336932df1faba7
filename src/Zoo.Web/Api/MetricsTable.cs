using System.Globalization;

namespace Zoo.Web.Api;

/// <summary>A run's metrics.csv as columns and rows of numbers (null where a cell is empty): what a chart plots.</summary>
public sealed record MetricsTable(IReadOnlyList<string> Columns, IReadOnlyList<double?[]> Rows)
{
    public static readonly MetricsTable Empty = new([], []);

    /// <summary>Parses the file the metrics-file callback writes (rewritten atomically, so never half a file).</summary>
    public static MetricsTable Read(string path)
    {
        if (!File.Exists(path)) return Empty;
        var lines = File.ReadAllLines(path).Where(l => l.Length > 0).ToList();
        if (lines.Count == 0) return Empty;
        var columns = lines[0].Split(',');
        var rows = lines.Skip(1).Select(l => l.Split(',').Select(Cell).ToArray()).ToList();
        return new MetricsTable(columns, rows);

        static double? Cell(string text) =>
            double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
    }
}
