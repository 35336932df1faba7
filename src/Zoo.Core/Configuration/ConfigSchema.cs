using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using System.Reflection;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Zoo.Core.Configuration;

/// <summary>A config problem users can fix (unknown key, bad value, out of range); the message names all of them.</summary>
public sealed class ConfigException(string message) : ArgumentException(message);

/// <summary>A config record validates rules that span several keys here (one message per broken rule).</summary>
public interface IValidatableConfig
{
    IEnumerable<string> Validate();
}

/// <summary>Cross-key rules several config records share.</summary>
public static class ConfigRules
{
    /// <summary>A problem message when <paramref name="text"/> is not an activation Zoo.Torch can parse, else null.</summary>
    public static string? Activation(string key, string text)
    {
        try { Zoo.Torch.Activation.Parse(text); return null; }
        catch (FormatException e) { return $"{key}: {e.Message}"; }
    }
}

/// <summary>One hyperparameter: its key (kebab-case), type, default, allowed range or values, and documentation.</summary>
public sealed record ConfigKey(string Name, string TypeName, string Default, string Description, string? Range, IReadOnlyList<string>? Allowed);

/// <summary>
/// The schema of a config record: an immutable record whose init properties are the hyperparameters, documented
/// with [Description] and constrained with [Range] / [AllowedValues]. Binds "key=value" strings and JSON into the
/// record, reporting every problem at once, and writes the record back to JSON (a saved run reloads into an equal
/// record). Keys are the property names in kebab-case (LatentDim → latent-dim); enums are kebab-case too.
/// Supported types: int, long, double, bool, string, enums and int[] (comma-separated).
/// (Hand-written reflection for now; the source-generator issue replaces it with generated code.)
/// </summary>
public sealed class ConfigSchema
{
    private readonly Func<object> create;
    private readonly List<(ConfigKey Key, PropertyInfo Property)> properties;

    public Type Type { get; }
    public IReadOnlyList<ConfigKey> Keys { get; }

    private ConfigSchema(Type type, Func<object> create)
    {
        Type = type;
        this.create = create;
        var defaults = create();
        // Base-record keys first, each type's keys in declaration order.
        properties = type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.CanWrite && p.GetCustomAttribute<DescriptionAttribute>() is not null)
            .OrderBy(p => Depth(p.DeclaringType!)).ThenBy(p => p.MetadataToken)
            .Select(p => (Describe(p, defaults), p)).ToList();
        Keys = properties.Select(p => p.Key).ToList();
    }

    public static ConfigSchema For<T>() where T : new() => new(typeof(T), () => new T());

    /// <summary>The record with every key at its default.</summary>
    public object Default() => create();

    /// <summary>Key → value text of a config record (what <see cref="Bind"/> accepts back).</summary>
    public IReadOnlyDictionary<string, string> Values(object config) =>
        properties.ToDictionary(p => p.Key.Name, p => Format(p.Property.GetValue(config)));

    /// <summary>
    /// The defaults overridden by <paramref name="values"/> ("key" → "value" text). Unknown keys, unparsable
    /// values, values out of range and broken cross-key rules are all reported in one <see cref="ConfigException"/>
    /// that starts with <paramref name="owner"/> (e.g. "bernoulli-vae config").
    /// </summary>
    public object Bind(IEnumerable<KeyValuePair<string, string>> values, string owner)
    {
        var config = create();
        var problems = new List<string>();
        foreach (var (key, text) in values)
        {
            var match = properties.FirstOrDefault(p => p.Key.Name == key);
            if (match.Property is null)
            {
                var near = Keys.OrderBy(k => Distance(k.Name, key)).First();
                problems.Add($"unknown key '{key}'" + (Distance(near.Name, key) <= 3 ? $" (did you mean '{near.Name}'?)" : "") +
                             $"; known keys: {string.Join(", ", Keys.Select(k => k.Name))}");
                continue;
            }
            if (Parse(match.Property.PropertyType, text, out var value, out var expected))
                match.Property.SetValue(config, value);
            else
                problems.Add($"{key} = '{text}' is not {expected}");
        }
        problems.AddRange(Validate(config, skip: problems.Select(p => p.Split(' ')[0]).ToHashSet()));
        if (problems.Count > 0) throw new ConfigException($"{owner}: {string.Join("; ", problems)}");
        return config;
    }

    /// <summary>Every range, allowed-value and cross-key problem of a config record (empty when valid).</summary>
    public IReadOnlyList<string> Validate(object config, ISet<string>? skip = null)
    {
        var problems = new List<string>();
        foreach (var (key, prop) in properties)
        {
            if (skip?.Contains(key.Name) == true) continue;
            var value = prop.GetValue(config);
            var range = prop.GetCustomAttribute<RangeAttribute>();
            var allowed = prop.GetCustomAttribute<AllowedValuesAttribute>();
            IEnumerable<object?> items = value is int[] arr ? arr.Cast<object?>() : [value];
            if (value is int[] { Length: 0 }) problems.Add($"{key.Name} must not be empty");
            foreach (var item in items)
            {
                if (range is not null && !range.IsValid(item))
                    problems.Add($"{key.Name} = {Format(value)} is out of range [{Format(range.Minimum)}, {Format(range.Maximum)}]");
                else if (allowed is not null && !allowed.IsValid(item))
                    problems.Add($"{key.Name} = '{Format(value)}' is not one of: {string.Join(", ", allowed.Values.Select(Format))}");
            }
            if (value is string s && string.IsNullOrWhiteSpace(s)) problems.Add($"{key.Name} must not be empty");
        }
        if (problems.Count == 0 && config is IValidatableConfig v) problems.AddRange(v.Validate());
        return problems;
    }

    public string ToJson(object config)
    {
        var obj = new JsonObject();
        foreach (var (key, prop) in properties)
        {
            var value = prop.GetValue(config);
            obj[key.Name] = value switch
            {
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                double d => JsonValue.Create(d),
                bool b => JsonValue.Create(b),
                int[] a => new JsonArray(a.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                _ => JsonValue.Create(Format(value)),
            };
        }
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A config record from a JSON object written by <see cref="ToJson"/> (<paramref name="source"/> names it in errors).</summary>
    public object FromJson(string json, string source)
    {
        JsonObject obj;
        try { obj = JsonNode.Parse(json) as JsonObject ?? throw new ConfigException($"{source}: expected a JSON object of config keys"); }
        catch (JsonException e) { throw new ConfigException($"{source}: not valid JSON ({e.Message})"); }
        var pairs = obj.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value switch
        {
            JsonArray a => string.Join(",", a.Select(x => x?.ToJsonString())),
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            null => "",
            var v => v.ToJsonString(),
        }));
        return Bind(pairs, source);
    }

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

    public static string KebabCase(string name)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && !char.IsUpper(name[i - 1])) sb.Append('-');
            sb.Append(char.ToLowerInvariant(name[i]));
        }
        return sb.ToString();
    }

    private static ConfigKey Describe(PropertyInfo p, object defaults)
    {
        var t = p.PropertyType;
        var range = p.GetCustomAttribute<RangeAttribute>();
        IReadOnlyList<string>? allowed = t.IsEnum
            ? Enum.GetNames(t).Select(KebabCase).ToList()
            : p.GetCustomAttribute<AllowedValuesAttribute>()?.Values.Select(Format).ToList();
        string typeName = t == typeof(int[]) ? "int list" : t.IsEnum ? "choice" : t.Name switch
        {
            "Int32" => "int", "Int64" => "long", "Double" => "number", "Boolean" => "bool", "String" => "text", var n => n,
        };
        return new ConfigKey(KebabCase(p.Name), typeName, Format(p.GetValue(defaults)),
            p.GetCustomAttribute<DescriptionAttribute>()!.Description,
            range is null ? null : $"[{Format(range.Minimum)}, {Format(range.Maximum)}]", allowed);
    }

    private static string Format(object? v) => v switch
    {
        null => "",
        double d => d.ToString("R", CultureInfo.InvariantCulture),
        bool b => b ? "true" : "false",
        int[] a => string.Join(",", a.Select(x => x.ToString(CultureInfo.InvariantCulture))),
        Enum e => KebabCase(e.ToString()),
        IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
        _ => v.ToString() ?? "",
    };

    private static bool Parse(Type t, string text, out object? value, out string expected)
    {
        var inv = CultureInfo.InvariantCulture;
        value = null;
        expected = t.Name;
        if (t == typeof(int)) { expected = "an integer"; if (int.TryParse(text, NumberStyles.Integer, inv, out var i)) { value = i; return true; } return false; }
        if (t == typeof(long)) { expected = "an integer"; if (long.TryParse(text, NumberStyles.Integer, inv, out var l)) { value = l; return true; } return false; }
        if (t == typeof(double))
        {
            expected = "a finite number";
            if (double.TryParse(text, NumberStyles.Float, inv, out var d) && double.IsFinite(d)) { value = d; return true; }
            return false;
        }
        if (t == typeof(bool)) { expected = "true or false"; if (bool.TryParse(text, out var b)) { value = b; return true; } return false; }
        if (t == typeof(string)) { value = text; return true; }
        if (t == typeof(int[]))
        {
            expected = "a comma-separated list of integers";
            var parts = text.Split(',', StringSplitOptions.TrimEntries);
            var arr = new int[parts.Length];
            for (int k = 0; k < parts.Length; k++)
                if (!int.TryParse(parts[k], NumberStyles.Integer, inv, out arr[k])) return false;
            value = arr;
            return true;
        }
        if (t.IsEnum)
        {
            var names = Enum.GetNames(t);
            expected = $"one of: {string.Join(", ", names.Select(KebabCase))}";
            var hit = names.FirstOrDefault(n => KebabCase(n) == text.ToLowerInvariant());
            if (hit is null) return false;
            value = Enum.Parse(t, hit);
            return true;
        }
        throw new NotSupportedException($"config type {t.Name} is not supported");
    }

    private static int Depth(Type t) { int d = 0; for (var b = t.BaseType; b is not null; b = b.BaseType) d++; return d; }

    private static int Distance(string a, string b)
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
