using System.Globalization;

namespace Zoo.Core.Configuration;

/// <summary>
/// How config values read and print (invariant culture, kebab-case), and the checks generated schemas call.
/// Shared by every generated schema so that the generated code stays a table of calls.
/// </summary>
public static class ConfigText
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    public static string Format(object? v) => v switch
    {
        null => "",
        double d => d.ToString("R", Inv),
        bool b => b ? "true" : "false",
        int[] a => string.Join(",", a.Select(x => x.ToString(Inv))),
        IFormattable f => f.ToString(null, Inv),
        _ => v.ToString() ?? "",
    };

    public static bool TryInt(string text, out int value, out string expected)
    {
        expected = "an integer";
        if (int.TryParse(text, NumberStyles.Integer, Inv, out value)) return true;
        // A whole number too large for the key is a range problem, not a type problem.
        if (System.Numerics.BigInteger.TryParse(text, NumberStyles.Integer, Inv, out _)) expected = OutOfRange(int.MinValue, int.MaxValue);
        return false;
    }

    /// <summary>The `expected` text of a value outside what its type holds; problems read "KEY = VALUE is out of range [...]".</summary>
    public static string OutOfRange(double min, double max) => $"out of range [{Format(min)}, {Format(max)}]";

    public static bool TryLong(string text, out long value, out string expected)
    {
        expected = "an integer";
        return long.TryParse(text, NumberStyles.Integer, Inv, out value);
    }

    public static bool TryDouble(string text, out double value, out string expected)
    {
        expected = "a finite number";
        return double.TryParse(text, NumberStyles.Float, Inv, out value) && double.IsFinite(value);
    }

    public static bool TryBool(string text, out bool value, out string expected)
    {
        expected = "true or false";
        return bool.TryParse(text, out value);
    }

    public static bool TryIntList(string text, out int[] value, out string expected)
    {
        expected = "a comma-separated list of integers";
        var parts = text.Length == 0 ? [] : text.Split(',', StringSplitOptions.TrimEntries);
        value = new int[parts.Length];
        for (int k = 0; k < parts.Length; k++)
            if (!int.TryParse(parts[k], NumberStyles.Integer, Inv, out value[k])) return false;
        return true;
    }

    public static string OneOf(params string[] names) => $"one of: {string.Join(", ", names)}";

    public static void Range(List<string> problems, string key, double value, double min, double max, string shown)
    {
        if (!(value >= min && value <= max)) problems.Add($"{key} = {shown} is out of range [{Format(min)}, {Format(max)}]");
    }

    public static void Range(List<string> problems, string key, int[] values, double min, double max)
    {
        if (values.Any(v => v < min || v > max)) problems.Add($"{key} = {Format(values)} is out of range [{Format(min)}, {Format(max)}]");
    }

    public static void Allowed(List<string> problems, string key, object value, params string[] allowed)
    {
        var text = Format(value);
        if (!allowed.Contains(text)) problems.Add($"{key} = '{text}' is not one of: {string.Join(", ", allowed)}");
    }

    public static void Required(List<string> problems, string key, string? value)
    {
        if (string.IsNullOrWhiteSpace(value)) problems.Add(Missing(key));
    }

    public static void Required(List<string> problems, string key, int[]? value)
    {
        if (value is null || value.Length == 0) problems.Add(Missing(key));
    }

    /// <summary>The problem of a required key left empty: the user's to give (a data file's path), not a bad default.</summary>
    public static string Missing(string key) => $"{key} must not be empty";

    /// <summary>"key=value" command-line arguments as pairs; anything else is a one-line error.</summary>
    public static IReadOnlyList<KeyValuePair<string, string>> ParseAssignments(IEnumerable<string> args)
    {
        var list = new List<KeyValuePair<string, string>>();
        foreach (var a in args)
        {
            var eq = a.IndexOf('=');
            if (eq <= 0) throw new ConfigException($"expected key=value, found '{a}'");
            list.Add(new(a[..eq].Trim(), a[(eq + 1)..].Trim()));
        }
        return list;
    }

    /// <summary>
    /// A JSON object of config keys as key=value pairs: lists as comma-separated text, a nested object (a part) as
    /// `KEY=its name` and `KEY.SUB=…` for its other members.
    /// </summary>
    public static IEnumerable<KeyValuePair<string, string>> FlattenJson(System.Text.Json.Nodes.JsonObject obj, string prefix = "")
    {
        foreach (var (key, node) in obj)
        {
            if (node is System.Text.Json.Nodes.JsonObject part)
            {
                foreach (var kv in FlattenJson(part, $"{prefix}{key}.")) yield return PartName(prefix + key, kv);
                continue;
            }
            yield return new(prefix + key, node switch
            {
                System.Text.Json.Nodes.JsonArray a => string.Join(",", a.Select(x => x is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var s) ? s : x?.ToJsonString())),
                System.Text.Json.Nodes.JsonValue v when v.TryGetValue<string>(out var s) => s,
                null => "",
                var v => v.ToJsonString(),
            });
        }
    }

    /// <summary>
    /// A nested part's `name` member is the part's own key (`encoder.name=gaussian-mlp` → `encoder=gaussian-mlp`); every
    /// other member stays `PART.KEY`. The one rule for JSON and <c>IConfiguration</c> sections alike.
    /// </summary>
    public static KeyValuePair<string, string> PartName(string part, KeyValuePair<string, string> member) =>
        member.Key == part + ".name" ? new(part, member.Value) : member;

    /// <summary>LatentDim → latent-dim (the generator uses the same rule for keys and enum values).</summary>
    public static string KebabCase(string name) => ConfigNames.KebabCase(name);

    /// <summary>
    /// The name closest to <paramref name="typed"/> for a "did you mean", or null when none is within 3 edits: the one
    /// rule for mistyped keys, plugin names and commands.
    /// </summary>
    public static string? Nearest(string typed, IEnumerable<string> names) =>
        names.Select(n => (Name: n, Distance: Distance(n, typed))).Where(n => n.Distance <= 3)
            .OrderBy(n => n.Distance).Select(n => n.Name).FirstOrDefault();

    internal static int Distance(string a, string b)
    {
        var d = new int[a.Length + 1, b.Length + 1];
        for (int i = 0; i <= a.Length; i++) d[i, 0] = i;
        for (int j = 0; j <= b.Length; j++) d[0, j] = j;
        for (int i = 1; i <= a.Length; i++)
            for (int j = 1; j <= b.Length; j++)
                d[i, j] = Math.Min(Math.Min(d[i - 1, j] + 1, d[i, j - 1] + 1), d[i - 1, j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
        return d[a.Length, b.Length];
    }
}
