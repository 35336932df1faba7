using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace Zoo.Core.Configuration;

/// <summary>A config problem users can fix (unknown key, bad value, out of range); the message names all of them.</summary>
public sealed class ConfigException(string message) : ArgumentException(message);

/// <summary>One hyperparameter: its key (kebab-case), type, default, allowed range or values, and documentation.</summary>
public sealed record ConfigKey(string Name, string TypeName, string Default, string Description, string? Range, IReadOnlyList<string>? Allowed);

/// <summary>
/// A config record's schema as plugins expose it across the plugin boundary (untyped): its keys, and binding from
/// "key=value" text, <see cref="IConfiguration"/> and JSON, each reporting every problem at once, plus JSON back.
/// </summary>
public interface IConfigSchema
{
    Type Type { get; }
    IReadOnlyList<ConfigKey> Keys { get; }
    object Default();
    object Bind(IEnumerable<KeyValuePair<string, string>> values, string owner);
    object Bind(IConfiguration section, string owner);
    IReadOnlyList<string> Validate(object config);
    IReadOnlyDictionary<string, string> Values(object config);
    string ToJson(object config);
    object FromJson(string json, string source);
}

/// <summary>A record that Zoo.Generators completed from its [ZooConfig] spec: it carries its generated schema.</summary>
public interface IZooConfig<TSelf> where TSelf : class, IZooConfig<TSelf>
{
    static abstract ConfigSchema<TSelf> Schema { get; }
}

/// <summary>
/// The schema of config record <typeparamref name="T"/>. Zoo.Generators writes one subclass per [ZooConfig] record
/// (key table, per-key parsing with `with` expressions, range/allowed/required checks, [ConfigRule] calls and the
/// values to serialise); this base holds what every schema shares: problem collection, "did you mean", JSON and
/// <see cref="IConfiguration"/> reading. No reflection at run time.
/// </summary>
public abstract class ConfigSchema<T> : IConfigSchema where T : class
{
    private IReadOnlyList<ConfigKey>? keys;

    public Type Type => typeof(T);
    public IReadOnlyList<ConfigKey> Keys => keys ??= Describe(CreateDefault());

    /// <summary>The record with every key at its default.</summary>
    public T Default() => CreateDefault();

    /// <summary>
    /// The defaults overridden by <paramref name="values"/> ("key" → "value" text). Unknown keys, unparsable
    /// values, values out of range and broken rules are all reported in one <see cref="ConfigException"/> that
    /// starts with <paramref name="owner"/> (e.g. "bernoulli-vae config").
    /// </summary>
    public T Bind(IEnumerable<KeyValuePair<string, string>> values, string owner)
    {
        var config = CreateDefault();
        var problems = new List<string>();
        var bad = new HashSet<string>();
        foreach (var (key, text) in values)
        {
            switch (Set(ref config, key, text, out var expected))
            {
                case SetResult.Set: break;
                case SetResult.UnknownKey: problems.Add(UnknownKey(key)); break;
                default: problems.Add($"{key} = '{text}' is not {expected}"); bad.Add(key); break;
            }
        }
        problems.AddRange(Validate(config, bad));
        if (problems.Count > 0) throw new ConfigException($"{owner}: {string.Join("; ", problems)}");
        return config;
    }

    /// <summary>Binds a configuration section (appsettings.json, environment, command line): lists as children 0, 1, ….</summary>
    public T Bind(IConfiguration section, string owner) =>
        Bind(section.GetChildren().Select(c => new KeyValuePair<string, string>(c.Key,
            c.Value ?? string.Join(",", c.GetChildren().OrderBy(i => int.TryParse(i.Key, out var n) ? n : int.MaxValue).Select(i => i.Value)))), owner);

    /// <summary>Every range, allowed-value, required and rule problem of a config record (empty when valid).</summary>
    public IReadOnlyList<string> Validate(T config) => Validate(config, new HashSet<string>());

    private List<string> Validate(T config, ISet<string> skip)
    {
        var problems = new List<string>();
        Check(config, problems, skip);
        // Rules span several keys, so they run once every key is valid on its own.
        if (problems.Count == 0 && skip.Count == 0)
            foreach (var problem in Rules(config))
                if (problem is not null) problems.Add(problem);
        return problems;
    }

    /// <summary>Key → value text of a config record (what <see cref="Bind(IEnumerable{KeyValuePair{string,string}},string)"/> accepts back).</summary>
    public IReadOnlyDictionary<string, string> Values(T config) => Entries(config).ToDictionary(e => e.Key, e => ConfigText.Format(e.Value));

    public string ToJson(T config)
    {
        var obj = new JsonObject();
        foreach (var (key, value) in Entries(config))
            obj[key] = value switch
            {
                int i => JsonValue.Create(i),
                long l => JsonValue.Create(l),
                double d => JsonValue.Create(d),
                bool b => JsonValue.Create(b),
                int[] a => new JsonArray(a.Select(x => (JsonNode)JsonValue.Create(x)).ToArray()),
                _ => JsonValue.Create(ConfigText.Format(value)),
            };
        return obj.ToJsonString(new JsonSerializerOptions { WriteIndented = true });
    }

    /// <summary>A config record from a JSON object written by <see cref="ToJson(T)"/> (<paramref name="source"/> names it in errors).</summary>
    public T FromJson(string json, string source)
    {
        JsonObject obj;
        try { obj = JsonNode.Parse(json) as JsonObject ?? throw new ConfigException($"{source}: expected a JSON object of config keys"); }
        catch (JsonException e) { throw new ConfigException($"{source}: not valid JSON ({e.Message})"); }
        return Bind(obj.Select(kv => new KeyValuePair<string, string>(kv.Key, kv.Value switch
        {
            JsonArray a => string.Join(",", a.Select(x => x?.ToJsonString())),
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            null => "",
            var v => v.ToJsonString(),
        })), source);
    }

    // ---- written by the generator for each record ----

    protected enum SetResult { Set, UnknownKey, Invalid }

    protected abstract T CreateDefault();

    /// <summary>The key table, with defaults read off <paramref name="defaults"/>.</summary>
    protected abstract IReadOnlyList<ConfigKey> Describe(T defaults);

    /// <summary>Parses <paramref name="text"/> for <paramref name="key"/> into a copy of <paramref name="config"/>.</summary>
    protected abstract SetResult Set(ref T config, string key, string text, out string expected);

    /// <summary>Per-key checks: [Range], [AllowedValues], [Required].</summary>
    protected abstract void Check(T config, List<string> problems, ISet<string> skip);

    /// <summary>The record's [ConfigRule] methods, each giving a problem or null.</summary>
    protected abstract IEnumerable<string?> Rules(T config);

    /// <summary>Key → value (enums as their kebab-case text) in key order.</summary>
    protected abstract IEnumerable<KeyValuePair<string, object>> Entries(T config);

    private string UnknownKey(string key)
    {
        var names = Keys.Select(k => k.Name).ToList();
        if (names.Count == 0) return $"unknown key '{key}'; this config has no keys";
        var near = names.OrderBy(n => ConfigText.Distance(n, key)).First();
        return $"unknown key '{key}'" + (ConfigText.Distance(near, key) <= 3 ? $" (did you mean '{near}'?)" : "") +
               $"; known keys: {string.Join(", ", names)}";
    }

    // The untyped view plugins expose.
    object IConfigSchema.Default() => Default();
    object IConfigSchema.Bind(IEnumerable<KeyValuePair<string, string>> values, string owner) => Bind(values, owner);
    object IConfigSchema.Bind(IConfiguration section, string owner) => Bind(section, owner);
    IReadOnlyList<string> IConfigSchema.Validate(object config) => Validate(Typed(config));
    IReadOnlyDictionary<string, string> IConfigSchema.Values(object config) => Values(Typed(config));
    string IConfigSchema.ToJson(object config) => ToJson(Typed(config));
    object IConfigSchema.FromJson(string json, string source) => FromJson(json, source);

    private static T Typed(object config) => config as T ??
        throw new ArgumentException($"expected a {typeof(T).Name}, got {config?.GetType().Name ?? "null"}");
}
