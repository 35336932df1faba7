using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;

namespace Zoo.Core.Configuration;

/// <summary>A config problem users can fix (unknown key, bad value, out of range); the message names all of them.</summary>
public sealed class ConfigException(string message, IReadOnlyList<string>? problems = null) : ArgumentException(message)
{
    /// <summary>Each problem on its own ("epochs = 0 is out of range [1, 100000]"), for callers that show them one by one (the web form).</summary>
    public IReadOnlyList<string> Problems { get; } = problems ?? [message];

    /// <summary>"OWNER: problem; problem; …" with the problems kept apart in <see cref="Problems"/>.</summary>
    public static ConfigException Of(string owner, IReadOnlyList<string> problems) => new($"{owner}: {string.Join("; ", problems)}", problems);
}

/// <summary>
/// One hyperparameter: its key (kebab-case), type, default, allowed range or values, and documentation. A key whose
/// <see cref="Family"/> is set chooses a part (a plugin of that family), whose own keys are written `KEY.SUBKEY`.
/// </summary>
public sealed record ConfigKey(string Name, string TypeName, string Default, string Description, string? Range, IReadOnlyList<string>? Allowed)
{
    public Plugins.PluginKind? Family { get; init; }
}

/// <summary>
/// Finds the plugin a part's value names: a plugin of the family by name, or (for data) one that claims a file path,
/// with the settings that choice implies (`path=VALUE`). The catalog is the resolver of a running zoo.
/// </summary>
public interface IPartResolver
{
    /// <summary>The plugin, or null with <paramref name="problem"/> saying what is available.</summary>
    Plugins.IPlugin? Resolve(Plugins.PluginKind kind, string value, out IReadOnlyList<KeyValuePair<string, string>> implied, out string? problem);
}

/// <summary>
/// A config record's schema as plugins expose it across the plugin boundary (untyped): its keys, and binding from
/// "key=value" text, <see cref="IConfiguration"/> and JSON, each reporting every problem at once, plus JSON back.
/// Records with parts need a <see cref="IPartResolver"/> to bind them.
/// </summary>
public interface IConfigSchema
{
    Type Type { get; }
    IReadOnlyList<ConfigKey> Keys { get; }
    object Default();
    object Bind(IEnumerable<KeyValuePair<string, string>> values, string owner, IPartResolver? parts = null,
        IEnumerable<KeyValuePair<string, string>>? defaults = null);
    object Bind(IConfiguration section, string owner, IPartResolver? parts = null);
    IReadOnlyList<string> Validate(object config);
    IReadOnlyDictionary<string, string> Values(object config);
    string ToJson(object config);
    JsonObject ToJsonObject(object config);
    object FromJson(string json, string source, IPartResolver? parts = null);

    /// <summary>
    /// Binds into <paramref name="problems"/> instead of throwing, naming keys with <paramref name="prefix"/> ("encoder.");
    /// <paramref name="siblings"/> are keys of the enclosing level, offered as "did you mean" too. For nested parts.
    /// </summary>
    object BindInto(IEnumerable<KeyValuePair<string, string>> defaults, IEnumerable<KeyValuePair<string, string>> values,
        IPartResolver? parts, string prefix, List<string> problems, IReadOnlyCollection<string>? siblings = null);
}

/// <summary>A record that Zoo.Generators completed from its [ZooConfig] spec: it carries its generated schema.</summary>
public interface IZooConfig<TSelf> where TSelf : class, IZooConfig<TSelf>
{
    static abstract ConfigSchema<TSelf> Schema { get; }
}

/// <summary>
/// The schema of config record <typeparamref name="T"/>. Zoo.Generators writes one subclass per [ZooConfig] record
/// (key table, per-key parsing with `with` expressions, range/allowed/required checks, [ConfigRule] calls, the part
/// slots and the values to serialise); this base holds what every schema shares: problem collection, "did you mean",
/// nested parts (Hydra-style `PART=NAME`, `PART.KEY=VALUE`, nested objects in JSON), JSON and
/// <see cref="IConfiguration"/> reading. No reflection at run time.
/// </summary>
public abstract class ConfigSchema<T> : IConfigSchema where T : class
{
    private IReadOnlyList<ConfigKey>? keys;

    public Type Type => typeof(T);
    public IReadOnlyList<ConfigKey> Keys => keys ??= Describe(CreateDefault());

    /// <summary>The record with every key at its default (parts unbound).</summary>
    public T Default() => CreateDefault();

    /// <summary>
    /// The defaults, then <paramref name="defaults"/>, then <paramref name="values"/> ("key" → "value" text). Unknown
    /// keys, unparsable values, values out of range, broken rules and the same problems in every part are reported in
    /// one <see cref="ConfigException"/> that starts with <paramref name="owner"/> (e.g. "bernoulli-vae config").
    /// A default for a part's key applies only while that part is the default one.
    /// </summary>
    public T Bind(IEnumerable<KeyValuePair<string, string>> values, string owner, IPartResolver? parts = null,
        IEnumerable<KeyValuePair<string, string>>? defaults = null)
    {
        var problems = new List<string>();
        var config = BindInto(defaults ?? [], values, parts, "", problems);
        if (problems.Count > 0) throw ConfigException.Of(owner, problems);
        return config;
    }

    /// <summary>See <see cref="IConfigSchema.BindInto"/>.</summary>
    public T BindInto(IEnumerable<KeyValuePair<string, string>> defaults, IEnumerable<KeyValuePair<string, string>> values,
        IPartResolver? parts, string prefix, List<string> problems, IReadOnlyCollection<string>? siblings = null)
    {
        var config = CreateDefault();
        var local = new List<string>();
        var bad = new HashSet<string>();
        var slots = Slots;
        var inline = slots.FirstOrDefault(s => s.Inline);
        var nested = slots.ToDictionary(s => s.Key, _ => (Defaults: new List<KeyValuePair<string, string>>(), Values: new List<KeyValuePair<string, string>>()));
        var defaultNames = slots.ToDictionary(s => s.Key, s => s.Get(config)?.Name);
        var given = new HashSet<string>();
        foreach (var (isDefault, list) in new[] { (true, defaults), (false, values) })
            foreach (var (key, text) in list)
            {
                if (!isDefault && !given.Add(key)) { local.Add($"{prefix}{key} is given twice"); continue; }
                var dot = key.IndexOf('.');
                var slot = slots.FirstOrDefault(s => s.Key == (dot < 0 ? key : key[..dot]));
                if (slot is not null)
                {
                    if (dot < 0)
                    {
                        config = slot.Set(config, slot.Get(config)?.Choose(text) ?? Plugins.Parts.New(slot.Kind, text));
                        if (isDefault) defaultNames[slot.Key] = text;
                    }
                    else Route(slot.Key, new(key[(dot + 1)..], text), isDefault);
                    continue;
                }
                var expected = "";
                var result = dot < 0 ? Set(ref config, key, text, out expected) : SetResult.UnknownKey;
                switch (result)
                {
                    case SetResult.Set: break;
                    case SetResult.UnknownKey when inline is not null: Route(inline.Key, new(key, text), isDefault); break;
                    case SetResult.UnknownKey: local.Add(UnknownKey(prefix, key, siblings)); break;
                    default:
                        local.Add(expected.StartsWith("out of range", StringComparison.Ordinal)
                            ? $"{prefix}{key} = {text} is {expected}"
                            : $"{prefix}{key} = '{text}' is not {expected}");
                        bad.Add(key);
                        break;
                }
            }

        void Route(string slot, KeyValuePair<string, string> pair, bool isDefault) =>
            (isDefault ? nested[slot].Defaults : nested[slot].Values).Add(pair);

        // Each part: resolve the plugin its name stands for, then bind its own keys (defaults only for the default choice).
        foreach (var slot in slots)
        {
            var part = slot.Get(config);
            if (part is null || string.IsNullOrWhiteSpace(part.Name))
            {
                local.Add($"{prefix}{slot.Key} must name a {Plugins.PluginCatalog.Family(slot.Kind)} plugin");
                continue;
            }
            if (parts is null) throw new InvalidOperationException($"{typeof(T).Name} has parts; binding it needs a part resolver (the plugin catalog)");
            var plugin = parts.Resolve(slot.Kind, part.Name, out var implied, out var problem);
            var childPrefix = slot.Inline ? prefix : $"{prefix}{slot.Key}.";
            var keyless = plugin is not null && plugin.Config.Keys.Count == 0 && nested[slot.Key].Values.Count > 0;
            if (keyless)
            {
                // A plugin without keys given some: name it, since its schema cannot.
                local.Add($"{string.Join(", ", nested[slot.Key].Values.Select(v => $"'{childPrefix}{v.Key}'"))}: {slot.Key} '{part.Name}' has no keys");
                continue;
            }
            if (plugin is null)
            {
                local.Add($"{prefix}{slot.Key} = '{part.Name}': {problem}");
                continue;
            }
            var (nestedDefaults, nestedValues) = nested[slot.Key];
            var mine = slot.Inline ? Keys.Where(k => k.Name != slot.Key).Select(k => prefix + k.Name).ToList() : null;
            // A resolved config writes what its name implied back out (`dataset=x.npy` with `dataset.path=x.npy`): the
            // same value given again is no second setting; a different one still is.
            var unstated = implied.Where(i => !nestedValues.Contains(i)).ToList();
            foreach (var clash in unstated.Where(i => nestedValues.Any(v => v.Key == i.Key)).ToList())
            {
                local.Add($"{childPrefix}{clash.Key} = '{nestedValues.First(v => v.Key == clash.Key).Value}' contradicts {prefix}{slot.Key} = '{part.Name}'");
                unstated.Remove(clash);
            }
            var child = plugin.Config.BindInto(part.Name == defaultNames[slot.Key] ? nestedDefaults : [], [.. unstated, .. nestedValues],
                parts, childPrefix, local, mine);
            config = slot.Set(config, part.Bind(plugin, child));
        }

        local.AddRange(Validate(config, bad, prefix, local.Count == 0));
        problems.AddRange(local);
        return config;
    }

    /// <summary>Binds a configuration section (appsettings.json, environment, command line): lists as children 0, 1, …; sections as parts.</summary>
    public T Bind(IConfiguration section, string owner, IPartResolver? parts = null) => Bind(Flatten(section, ""), owner, parts);

    private static IEnumerable<KeyValuePair<string, string>> Flatten(IConfiguration section, string prefix)
    {
        foreach (var c in section.GetChildren())
        {
            var children = c.GetChildren().ToList();
            if (c.Value is not null || children.Count == 0) { yield return new(prefix + c.Key, c.Value ?? ""); continue; }
            if (children.All(i => int.TryParse(i.Key, out _)))
            {
                yield return new(prefix + c.Key, string.Join(",", children.OrderBy(i => int.Parse(i.Key, System.Globalization.CultureInfo.InvariantCulture)).Select(i => i.Value)));
                continue;
            }
            foreach (var kv in Flatten(c, prefix + c.Key + ".")) yield return ConfigText.PartName(prefix + c.Key, kv);
        }
    }

    /// <summary>Every range, allowed-value, required and rule problem of a config record (empty when valid).</summary>
    public IReadOnlyList<string> Validate(T config) => Validate(config, new HashSet<string>(), "", true);

    private List<string> Validate(T config, ISet<string> skip, string prefix, bool rules)
    {
        var problems = new List<string>();
        Check(config, problems, skip, prefix);
        // Rules span several keys, so they run once every key (and every part) is valid on its own.
        if (rules && problems.Count == 0 && skip.Count == 0)
            foreach (var problem in Rules(config))
                if (problem is not null) problems.Add(prefix.Length == 0 ? problem : $"{prefix.TrimEnd('.')}: {problem}");
        return problems;
    }

    /// <summary>
    /// Key → value text of a config record (what <see cref="Bind(IEnumerable{KeyValuePair{string,string}},string,IPartResolver?,IEnumerable{KeyValuePair{string,string}}?)"/>
    /// accepts back): a bound part as `PART` → name and `PART.KEY` → value.
    /// </summary>
    public IReadOnlyDictionary<string, string> Values(T config)
    {
        var values = new Dictionary<string, string>();
        foreach (var (key, value) in Entries(config))
        {
            if (value is not IPartValue) { values[key] = ConfigText.Format(value); continue; }
            var part = (Plugins.IPart)((IPartValue)value).Part;
            var inline = Slots.First(s => s.Key == key).Inline;
            values[key] = part.Name;
            if (part is { Plugin: { } plugin, Config: { } bound })
                foreach (var (k, v) in plugin.Config.Values(bound))
                    values[inline ? k : $"{key}.{k}"] = v;
        }
        return values;
    }

    public string ToJson(T config) => ToJsonObject(config).ToJsonString(new JsonSerializerOptions { WriteIndented = true });

    /// <summary>The record as a JSON object: a part as a nested object with its `name` first.</summary>
    public JsonObject ToJsonObject(T config)
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
                IPartValue { Part: var part } => PartJson(part),
                _ => JsonValue.Create(ConfigText.Format(value)),
            };
        return obj;
    }

    private static JsonObject PartJson(Plugins.IPart part)
    {
        var obj = new JsonObject { ["name"] = part.Name };
        if (part is { Plugin: { } plugin, Config: { } bound })
            foreach (var (k, v) in plugin.Config.ToJsonObject(bound).ToList())
                obj[k] = v?.DeepClone();
        return obj;
    }

    /// <summary>A config record from a JSON object written by <see cref="ToJson(T)"/> (<paramref name="source"/> names it in errors).</summary>
    public T FromJson(string json, string source, IPartResolver? parts = null)
    {
        JsonObject obj;
        try { obj = JsonNode.Parse(json) as JsonObject ?? throw new ConfigException($"{source}: expected a JSON object of config keys"); }
        catch (JsonException e) { throw new ConfigException($"{source}: not valid JSON ({e.Message})"); }
        return Bind(ConfigText.FlattenJson(obj), source, parts);
    }

// ---- written by the generator for each record ----

    protected enum SetResult { Set, UnknownKey, Invalid }

    protected abstract T CreateDefault();

    /// <summary>The key table, with defaults read off <paramref name="defaults"/>.</summary>
    protected abstract IReadOnlyList<ConfigKey> Describe(T defaults);

    /// <summary>Parses <paramref name="text"/> for <paramref name="key"/> into a copy of <paramref name="config"/>.</summary>
    protected abstract SetResult Set(ref T config, string key, string text, out string expected);

    /// <summary>Per-key checks: [Range], [AllowedValues], [Required]; keys are named with <paramref name="prefix"/>.</summary>
    protected abstract void Check(T config, List<string> problems, ISet<string> skip, string prefix);

    /// <summary>The record's [ConfigRule] methods, each giving a problem or null.</summary>
    protected abstract IEnumerable<string?> Rules(T config);

    /// <summary>Key → value (enums as their kebab-case text, parts wrapped by <see cref="Part"/>) in key order.</summary>
    protected abstract IEnumerable<KeyValuePair<string, object>> Entries(T config);

    /// <summary>The record's parts: key, family, whether its keys sit at this level (a run's model), and get/set.</summary>
    protected virtual IReadOnlyList<PartSlot> PartSlots() => [];

    private IReadOnlyList<PartSlot>? slotTable;

    /// <summary>The generated slots, made once per schema.</summary>
    private IReadOnlyList<PartSlot> Slots => slotTable ??= PartSlots();

    protected sealed record PartSlot(string Key, Plugins.PluginKind Kind, bool Inline, Func<T, Plugins.IPart> Get, Func<T, Plugins.IPart, T> Set);

    /// <summary>Marks a part among <see cref="Entries"/>, whose value is then written as a nested object or `PART.KEY` pairs.</summary>
    protected static object Part(Plugins.IPart part) => new PartValue(part);

    private interface IPartValue { Plugins.IPart Part { get; } }
    private sealed record PartValue(Plugins.IPart Part) : IPartValue
    {
        public override string ToString() => Part.Name;
    }

    private string UnknownKey(string prefix, string key, IReadOnlyCollection<string>? siblings)
    {
        // An inline part's own key (a run's `model`) is not typed by users: it is the command's argument.
        var inline = Slots.Where(p => p.Inline).Select(p => prefix + p.Key).ToHashSet();
        var names = Keys.Select(k => prefix + k.Name).Concat(siblings ?? []).Where(n => !inline.Contains(n)).ToList();
        var typed = prefix + key;
        if (names.Count == 0) return $"unknown key '{typed}': {(prefix.Length == 0 ? "this config" : prefix.TrimEnd('.'))} has no keys";
        var near = ConfigText.Nearest(typed, names);
        return $"unknown key '{typed}'" + (near is not null ? $" (did you mean '{near}'?)" : "") +
               $"; known keys: {string.Join(", ", names)}";
    }

    // The untyped view plugins expose.
    object IConfigSchema.Default() => Default();
    object IConfigSchema.Bind(IEnumerable<KeyValuePair<string, string>> values, string owner, IPartResolver? parts,
        IEnumerable<KeyValuePair<string, string>>? defaults) => Bind(values, owner, parts, defaults);
    object IConfigSchema.Bind(IConfiguration section, string owner, IPartResolver? parts) => Bind(section, owner, parts);
    object IConfigSchema.BindInto(IEnumerable<KeyValuePair<string, string>> defaults, IEnumerable<KeyValuePair<string, string>> values,
        IPartResolver? parts, string prefix, List<string> problems, IReadOnlyCollection<string>? siblings) =>
        BindInto(defaults, values, parts, prefix, problems, siblings);
    JsonObject IConfigSchema.ToJsonObject(object config) => ToJsonObject(Typed(config));
    IReadOnlyList<string> IConfigSchema.Validate(object config) => Validate(Typed(config));
    IReadOnlyDictionary<string, string> IConfigSchema.Values(object config) => Values(Typed(config));
    string IConfigSchema.ToJson(object config) => ToJson(Typed(config));
    object IConfigSchema.FromJson(string json, string source, IPartResolver? parts) => FromJson(json, source, parts);

    private static T Typed(object config) => config as T ??
        throw new ArgumentException($"expected a {typeof(T).Name}, got {config?.GetType().Name ?? "null"}");
}
