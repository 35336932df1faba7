using System.Globalization;
using Zoo.Torch;

namespace Zoo.Core.Data.Arrays;

/// <summary>
/// A CSV's numbers as an N×D array, with the optional label column taken out: <paramref name="Labels"/> is null when no
/// label column was asked for; <paramref name="Columns"/> names the feature columns when the file has a header row.
/// </summary>
public sealed record CsvArray(NumericArray Features, long[]? Labels, string[]? Columns, string? LabelColumn);

/// <summary>
/// Reads a CSV of numbers (comma-separated, as np.savetxt(..., delimiter=',') and pandas write them) line by line.
/// A first row with any non-numeric field is the header. Blank lines and lines starting with '#' are skipped, so a
/// header np.savetxt writes as a "# " comment is skipped too: pass comments='' to keep it. Every row must have the
/// same number of fields and every field must be a finite number (invariant culture). Values are parsed as float64
/// and kept as float32, so the features' DType is "&lt;f8".
/// </summary>
public static class CsvArrayReader
{
    /// <summary>All columns are features.</summary>
    public static CsvArray Read(string path) => Read(path, name: null, index: null);

    /// <summary>The column named <paramref name="labelColumn"/> in the header row holds the labels.</summary>
    public static CsvArray Read(string path, string labelColumn) => Read(path, labelColumn, index: null);

    /// <summary>Column <paramref name="labelColumn"/> (0-based; negative counts from the end, -1 is the last) holds the labels.</summary>
    public static CsvArray Read(string path, int labelColumn) => Read(path, name: null, labelColumn);

    private static CsvArray Read(string path, string? name, int? index)
    {
        InputFile.Require(path, "CSV");
        using var reader = new StreamReader(path, detectEncodingFromByteOrderMarks: true);

        string[]? header = null;
        int fields = -1, firstLine = 0, label = -1, lineNo = 0, rows = 0;
        var values = new float[1024];
        int used = 0;
        var labels = new List<long>();
        var ranges = new List<Range>();
        for (string? line; (line = reader.ReadLine()) != null;)
        {
            lineNo++;
            var text = line.AsSpan().Trim();
            if (text.IsEmpty || text[0] == '#') continue;
            ranges.Clear();
            foreach (var r in text.Split(',')) ranges.Add(r);

            if (fields < 0)
            {
                fields = ranges.Count;
                firstLine = lineNo;
                bool isHeader = false;
                foreach (var r in ranges)
                {
                    var f = Unquote(text[r]);
                    isHeader |= !f.IsEmpty && !double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                }
                if (isHeader)
                {
                    header = new string[fields];
                    for (int i = 0; i < fields; i++) header[i] = Unquote(text[ranges[i]]).ToString();
                }
                label = LabelIndex(path, lineNo, header, fields, name, index);
                if (fields - (label >= 0 ? 1 : 0) == 0)
                    throw new ArrayFormatException(path, lineNo, "no feature columns besides the label column");
                if (isHeader) continue;
            }
            if (ranges.Count != fields)
                throw new ArrayFormatException(path, lineNo, $"{ranges.Count} fields, expected {fields} (as on line {firstLine})");

            for (int i = 0; i < fields; i++)
            {
                var f = Unquote(text[ranges[i]]);
                if (i == label) { labels.Add(Label(path, lineNo, i, f, header)); continue; }
                if (f.IsEmpty) throw new ArrayFormatException(path, lineNo, $"field {i + 1} is empty");
                if (!double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    throw new ArrayFormatException(path, lineNo, $"field {i + 1} {Excerpt.Quote(f)} is not a number");
                if (!double.IsFinite(v)) throw new ArrayFormatException(path, lineNo, $"field {i + 1} {Excerpt.Quote(f)} is not a finite number");
                if (used == values.Length)
                {
                    if (values.Length == Array.MaxLength) throw new ArrayFormatException(path, lineNo, "more values than one array can hold");
                    Array.Resize(ref values, (int)Math.Min(2L * values.Length, Array.MaxLength));
                }
                values[used++] = (float)v;
            }
            rows++;
        }
        if (rows == 0) throw new ArrayFormatException(path, header == null ? "no data rows (the file is empty)" : "no data rows after the header");

        Array.Resize(ref values, used);
        int d = fields - (label >= 0 ? 1 : 0);
        var columns = header?.Where((_, i) => i != label).ToArray();
        return new CsvArray(new NumericArray([rows, d], values, "<f8"), label >= 0 ? [.. labels] : null, columns,
            label < 0 ? null : header?[label] ?? label.ToString(CultureInfo.InvariantCulture));
    }

    private static int LabelIndex(string path, int line, string[]? header, int fields, string? name, int? index)
    {
        if (name != null)
        {
            if (header == null)
                throw new ArrayFormatException(path, line,
                    $"label column '{name}' given by name but the file has no header row (np.savetxt writes its header as a '#' comment unless comments=''); give the column's index instead");
            int i = Array.IndexOf(header, name);
            return i >= 0 ? i : throw new ArrayFormatException(path, line,
                $"no column {Excerpt.Quote(name)} in the header; it has {string.Join(", ", header.Select(h => Excerpt.Quote(h)))}");
        }
        if (index is not int k) return -1;
        int at = k < 0 ? fields + k : k;
        return at >= 0 && at < fields ? at : throw new ArrayFormatException(path, line,
            $"label column {k} is out of range; the rows have {fields} fields (columns 0..{fields - 1}, or -1 for the last)");
    }

    /// <summary>A label must be a non-negative whole number; "3", "3.0" and np.savetxt's "3.000000000000000000e+00" all are.</summary>
    private static long Label(string path, int line, int column, ReadOnlySpan<char> f, string[]? header)
    {
        if (long.TryParse(f, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) && n >= 0) return n;
        if (double.TryParse(f, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && v >= 0 && v == Math.Floor(v) && v <= 1L << 53)
            return (long)v;
        var which = header == null ? $"field {column + 1}" : $"field {column + 1} ({Excerpt.Quote(header[column])})";
        throw new ArrayFormatException(path, line, $"label {which} {Excerpt.Quote(f)} is not a non-negative integer");
    }

    private static ReadOnlySpan<char> Unquote(ReadOnlySpan<char> f)
    {
        f = f.Trim();
        return f.Length >= 2 && f[0] == '"' && f[^1] == '"' ? f[1..^1].Trim() : f;
    }
}
