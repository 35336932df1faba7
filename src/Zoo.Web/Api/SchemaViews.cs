using System.Globalization;
using System.Text.RegularExpressions;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;

namespace Zoo.Web.Api;

/// <summary>
/// One config key as the API shows it: what `zoo list` prints, with the range split into numbers so that a form can
/// check it before sending. <see cref="Part"/> names the family of a key that chooses a part (its keys are KEY.SUBKEY).
/// </summary>
public sealed record KeyView(string Name, string Type, string Default, string Description, string? Range, double? Min, double? Max,
    IReadOnlyList<string>? Allowed, string? Part);

/// <summary>A plugin with its config schema; a model also lists its run defaults (a preset's), a data plugin the file extensions it reads.</summary>
public sealed record PluginView(string Kind, string Name, string Description, IReadOnlyList<KeyView> Keys,
    IReadOnlyDictionary<string, string>? RunDefaults, IReadOnlyList<string>? FileExtensions);

public static partial class SchemaViews
{
    public static KeyView Key(ConfigKey k)
    {
        double? min = null, max = null;
        if (k.Range is { } range && RangeText().Match(range) is { Success: true } m)
        {
            min = double.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            max = double.Parse(m.Groups[2].Value, CultureInfo.InvariantCulture);
        }
        return new KeyView(k.Name, k.TypeName, k.Default, k.Description, k.Range, min, max, k.Allowed,
            k.Family is { } family ? PluginCatalog.Family(family) : null);
    }

    public static PluginView Plugin(IPlugin p) => new(PluginCatalog.Family(p.Kind), p.Name, p.Description, p.Config.Keys.Select(Key).ToList(),
        p is IModelPlugin model ? model.RunDefaults.ToDictionary(kv => kv.Key, kv => kv.Value) : null,
        p is IDataPlugin { FileExtensions.Count: > 0 } data ? data.FileExtensions : null);

    [GeneratedRegex(@"^\[([-+0-9.Ee]+), ([-+0-9.Ee]+)\]$")]
    private static partial Regex RangeText();
}
