using Zoo.Core.Configuration;

namespace Zoo.Core.Plugins;

/// <summary>
/// Every plugin registered in DI (as <see cref="IPlugin"/>), resolved by family and name. Names are unique per
/// family; a second plugin with a taken name is reported, not silently shadowed.
/// </summary>
public sealed class PluginCatalog : IPartResolver
{
    // Replaced whole, never changed in place: a running service adds plugins installed after it started while jobs read.
    private volatile Dictionary<(PluginKind, string), IPlugin> byName = [];
    private readonly Lock adding = new();

    public PluginCatalog(IEnumerable<IPlugin> plugins) => Add(plugins);

    /// <summary>Adds plugins (all or none); a name already taken in a family is an error naming both plugins.</summary>
    public void Add(IEnumerable<IPlugin> plugins)
    {
        lock (adding)
        {
            var next = new Dictionary<(PluginKind, string), IPlugin>(byName);
            foreach (var p in plugins)
            {
                if (!next.TryAdd((p.Kind, p.Name), p))
                {
                    var first = next[(p.Kind, p.Name)];
                    throw new InvalidOperationException(
                        $"two {Family(p.Kind)} plugins are named '{p.Name}': {first.GetType().FullName} ({first.GetType().Assembly.GetName().Name}) " +
                        $"and {p.GetType().FullName} ({p.GetType().Assembly.GetName().Name})");
                }
            }
            byName = next;
        }
    }

    public IReadOnlyList<IPlugin> All => byName.Values.OrderBy(p => p.Kind).ThenBy(p => p.Name).ToList();

    public IEnumerable<IPlugin> OfKind(PluginKind kind) => All.Where(p => p.Kind == kind);

    public IModelPlugin Model(string name) => Get<IModelPlugin>(PluginKind.Model, name);
    public ILikelihoodPlugin Likelihood(string name) => Get<ILikelihoodPlugin>(PluginKind.Likelihood, name);
    public IPriorPlugin Prior(string name) => Get<IPriorPlugin>(PluginKind.Prior, name);
    public IEncoderPlugin Encoder(string name) => Get<IEncoderPlugin>(PluginKind.Encoder, name);
    public IDecoderPlugin Decoder(string name) => Get<IDecoderPlugin>(PluginKind.Decoder, name);
    public IDataPlugin Data(string name) => Get<IDataPlugin>(PluginKind.Data, name);

    /// <summary>The callbacks every run gets, created from their default configs, in name order.</summary>
    public IReadOnlyList<Training.ITrainingCallback> Callbacks() =>
        OfKind(PluginKind.Callback).Cast<ICallbackPlugin>().Select(p => p.Create(p.Config.Default())).ToList();

    /// <summary>
    /// A part's plugin by name; for data, a value that is not a plugin's name but a path whose extension a data plugin
    /// claims picks that plugin with `path` set to the value.
    /// </summary>
    public IPlugin? Resolve(PluginKind kind, string value, out IReadOnlyList<KeyValuePair<string, string>> implied, out string? problem)
    {
        implied = [];
        problem = null;
        if (byName.TryGetValue((kind, value), out var plugin)) return plugin;
        if (kind == PluginKind.Data && Path.GetExtension(value).ToLowerInvariant() is { Length: > 1 } extension)
        {
            var reader = OfKind(PluginKind.Data).Cast<IDataPlugin>().FirstOrDefault(p => p.FileExtensions.Contains(extension));
            if (reader is not null)
            {
                implied = [new("path", value)];
                return reader;
            }
            var readers = OfKind(PluginKind.Data).Cast<IDataPlugin>().SelectMany(p => p.FileExtensions).Distinct().Order().ToList();
            problem = $"no data plugin reads {extension} files (files: {string.Join(", ", readers)}; data sets: {string.Join(", ", Names(kind))})";
            return null;
        }
        var known = Names(kind).ToList();
        var near = ConfigText.Nearest(value, known);
        problem = $"unknown {(kind == PluginKind.Data ? "data set" : Family(kind))}" + (near is not null ? $" (did you mean '{near}'?)" : "") +
                  $"; available: {(known.Count == 0 ? "none" : string.Join(", ", known))}" +
                  (kind == PluginKind.Data ? " or a path to a file" : "");
        return null;
    }

    private IEnumerable<string> Names(PluginKind kind) => OfKind(kind).Select(p => p.Name);

    private T Get<T>(PluginKind kind, string name) where T : class, IPlugin
    {
        if (byName.TryGetValue((kind, name), out var p))
            return p as T ?? throw new InvalidOperationException($"{Family(kind)} plugin '{name}' ({p.GetType().FullName}) does not implement {typeof(T).Name}");
        var known = OfKind(kind).Select(x => x.Name).ToList();
        throw new ArgumentException($"unknown {Family(kind)} '{name}' (available: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
    }

    public static string Family(PluginKind kind) => kind.ToString().ToLowerInvariant();
}
