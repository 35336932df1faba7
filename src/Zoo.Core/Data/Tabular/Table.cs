using System.Globalization;
using System.Text;
using Zoo.Torch;

namespace Zoo.Core.Data.Tabular;

/// <summary>A column of a table: numeric, or nominal with its declared values (in order).</summary>
public sealed record Column(string Name, IReadOnlyList<string>? Values)
{
    public bool IsNumeric => Values is null;

    /// <summary>The index of a nominal value among the declared ones.</summary>
    public int Code(string value)
    {
        for (int i = 0; i < Values!.Count; i++) if (Values[i] == value) return i;
        throw new InvalidDataException($"column {Excerpt.Quote(Name)} has no value {Excerpt.Quote(value)}");
    }
}

/// <summary>
/// A table read from an ARFF or CSV file: columns and raw rows (null = missing, '?' in ARFF, empty in CSV).
/// <see cref="Lines"/> keeps each row's line number so later errors can name it.
/// </summary>
public sealed record Table(string Source, IReadOnlyList<Column> Columns, IReadOnlyList<string?[]> Rows, IReadOnlyList<int> Lines)
{
    public int IndexOf(string column)
    {
        for (int i = 0; i < Columns.Count; i++)
            if (string.Equals(Columns[i].Name, column, StringComparison.OrdinalIgnoreCase)) return i;
        throw new InvalidDataException($"{Source}: no column {Excerpt.Quote(column)}; columns are {string.Join(", ", Columns.Select(c => Excerpt.Quote(c.Name)))}");
    }

    /// <summary>Reads <paramref name="path"/> as ARFF (.arff) or CSV with a header row (anything else).</summary>
    public static Table Read(string path)
    {
        bool arff = path.EndsWith(".arff", StringComparison.OrdinalIgnoreCase);
        var lines = File.ReadAllLines(InputFile.Require(path, arff ? "ARFF" : "CSV", missing: $"data file {path} not found"));
        return arff ? Arff.Parse(path, lines) : Csv.Parse(path, lines);
    }

    /// <summary>
    /// Splits one delimited line into fields, honouring single and double quotes (and backslash escapes inside
    /// them, as Weka writes). Throws with the file and line on an unterminated quote.
    /// </summary>
    internal static List<string> SplitFields(string line, string source, int lineNumber, char delimiter = ',')
    {
        var fields = new List<string>();
        var sb = new StringBuilder();
        int i = 0;
        while (true)
        {
            while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            if (i < line.Length && line[i] is '\'' or '"')
            {
                char quote = line[i++];
                sb.Clear();
                while (true)
                {
                    if (i >= line.Length) throw new InvalidDataException($"{source}:{lineNumber}: unterminated {quote} quote");
                    if (line[i] == '\\' && i + 1 < line.Length) { sb.Append(line[i + 1]); i += 2; continue; }
                    if (line[i] == quote)
                    {
                        if (quote == '"' && i + 1 < line.Length && line[i + 1] == '"') { sb.Append('"'); i += 2; continue; } // CSV's ""
                        i++;
                        break;
                    }
                    sb.Append(line[i++]);
                }
                fields.Add(sb.ToString());
                while (i < line.Length && char.IsWhiteSpace(line[i])) i++;
            }
            else
            {
                int start = i;
                while (i < line.Length && line[i] != delimiter) i++;
                fields.Add(line[start..i].Trim());
            }
            if (i >= line.Length) break;
            if (line[i] != delimiter) throw new InvalidDataException($"{source}:{lineNumber}: expected '{delimiter}' after a quoted value, found {Excerpt.Quote(line[i].ToString())}");
            i++;
        }
        return fields;
    }

    internal static bool IsNumber(string s) => double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
}

/// <summary>Weka's ARFF: @relation, @attribute NAME numeric|real|integer|{v1, v2, ...}, then @data rows.</summary>
public static class Arff
{
    public static Table Parse(string source, string[] lines)
    {
        var columns = new List<Column>();
        var rows = new List<string?[]>();
        var rowLines = new List<int>();
        bool data = false;
        for (int n = 0; n < lines.Length; n++)
        {
            var line = lines[n].Trim();
            int lineNumber = n + 1;
            if (line.Length == 0 || line[0] == '%') continue;
            if (!data)
            {
                if (line.StartsWith("@relation", StringComparison.OrdinalIgnoreCase)) continue;
                if (line.StartsWith("@data", StringComparison.OrdinalIgnoreCase)) { data = true; continue; }
                if (!line.StartsWith("@attribute", StringComparison.OrdinalIgnoreCase))
                    throw new InvalidDataException($"{source}:{lineNumber}: expected @relation, @attribute or @data, found {Excerpt.Quote(line)}");
                columns.Add(Attribute(line["@attribute".Length..].Trim(), source, lineNumber));
                continue;
            }
            if (line[0] == '{') throw new InvalidDataException($"{source}:{lineNumber}: sparse ARFF rows are not supported");
            var fields = Table.SplitFields(line, source, lineNumber);
            if (fields.Count != columns.Count)
                throw new InvalidDataException($"{source}:{lineNumber}: expected {columns.Count} values, found {fields.Count}");
            var row = new string?[fields.Count];
            for (int c = 0; c < fields.Count; c++)
            {
                var v = fields[c];
                if (v == "?") continue;
                var col = columns[c];
                if (col.IsNumeric && !Table.IsNumber(v))
                    throw new InvalidDataException($"{source}:{lineNumber}: column {Excerpt.Quote(col.Name)} is numeric, found {Excerpt.Quote(v)}");
                if (!col.IsNumeric && !col.Values!.Contains(v))
                    throw new InvalidDataException($"{source}:{lineNumber}: column {Excerpt.Quote(col.Name)} expects one of {{{string.Join(", ", col.Values!.Take(10).Select(x => Excerpt.Quote(x)))}{(col.Values!.Count > 10 ? ", …" : "")}}}, found {Excerpt.Quote(v)}");
                row[c] = v;
            }
            rows.Add(row);
            rowLines.Add(lineNumber);
        }
        if (!data) throw new InvalidDataException($"{source}: no @data section");
        if (columns.Count == 0) throw new InvalidDataException($"{source}: no @attribute lines");
        return new Table(source, columns, rows, rowLines);
    }

    private static Column Attribute(string rest, string source, int lineNumber)
    {
        // NAME is a bare word or quoted; the type follows.
        string name;
        if (rest.Length > 0 && rest[0] is '\'' or '"')
        {
            int end = rest.IndexOf(rest[0], 1);
            if (end < 0) throw new InvalidDataException($"{source}:{lineNumber}: unterminated quote in attribute name");
            name = rest[1..end];
            rest = rest[(end + 1)..].Trim();
        }
        else
        {
            int end = 0;
            while (end < rest.Length && !char.IsWhiteSpace(rest[end]) && rest[end] != '{') end++;
            name = rest[..end];
            rest = rest[end..].Trim();
        }
        if (name.Length == 0) throw new InvalidDataException($"{source}:{lineNumber}: attribute without a name");
        if (rest.StartsWith('{'))
        {
            int close = rest.LastIndexOf('}');
            if (close < 0) throw new InvalidDataException($"{source}:{lineNumber}: attribute {Excerpt.Quote(name)}: missing '}}' after its values");
            var values = Table.SplitFields(rest[1..close], source, lineNumber);
            if (values.Count == 0 || values.Any(v => v.Length == 0))
                throw new InvalidDataException($"{source}:{lineNumber}: attribute {Excerpt.Quote(name)}: empty nominal value list");
            return new Column(name, values);
        }
        var type = rest.ToLowerInvariant();
        if (type is "numeric" or "real" or "integer") return new Column(name, null);
        throw new InvalidDataException($"{source}:{lineNumber}: attribute {Excerpt.Quote(name)} has type {Excerpt.Quote(rest)}; expected numeric, real, integer or {{values}}");
    }
}

/// <summary>CSV with a header row: a column is numeric when every non-empty value parses as a number, else nominal.</summary>
public static class Csv
{
    public static Table Parse(string source, string[] lines)
    {
        int first = Array.FindIndex(lines, l => l.Trim().Length > 0);
        if (first < 0) throw new InvalidDataException($"{source}: empty file");
        var header = Table.SplitFields(lines[first], source, first + 1);
        if (header.Any(h => h.Length == 0)) throw new InvalidDataException($"{source}:{first + 1}: empty column name in the header");
        var dup = header.GroupBy(h => h, StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (dup is not null) throw new InvalidDataException($"{source}:{first + 1}: column {Excerpt.Quote(dup.Key)} appears twice in the header");
        var rows = new List<string?[]>();
        var rowLines = new List<int>();
        for (int n = first + 1; n < lines.Length; n++)
        {
            if (lines[n].Trim().Length == 0) continue;
            var fields = Table.SplitFields(lines[n], source, n + 1);
            if (fields.Count != header.Count)
                throw new InvalidDataException($"{source}:{n + 1}: expected {header.Count} values, found {fields.Count}");
            rows.Add(fields.Select(f => f.Length == 0 || f == "?" ? null : f).ToArray());
            rowLines.Add(n + 1);
        }
        if (rows.Count == 0) throw new InvalidDataException($"{source}: a header but no rows");
        var columns = header.Select((name, c) =>
        {
            var present = rows.Select(r => r[c]).Where(v => v is not null).Select(v => v!).ToList();
            return present.All(Table.IsNumber) && present.Count > 0
                ? new Column(name, null)
                : new Column(name, present.Distinct().Order(StringComparer.Ordinal).ToList());
        }).ToList();
        return new Table(source, columns, rows, rowLines);
    }
}
