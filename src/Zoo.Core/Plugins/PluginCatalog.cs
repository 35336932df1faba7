namespace Zoo.Core.Plugins;

/// <summary>
/// Every plugin registered in DI (as <see cref="IPlugin"/>), resolved by family and name. Names are unique per
/// family; a second plugin with a taken name is reported, not silently shadowed.
/// </summary>
public sealed class PluginCatalog
{
    private readonly Dictionary<(PluginKind, string), IPlugin> byName = [];

    public PluginCatalog(IEnumerable<IPlugin> plugins)
    {
        foreach (var p in plugins)
        {
            if (!byName.TryAdd((p.Kind, p.Name), p))
            {
                var first = byName[(p.Kind, p.Name)];
                throw new InvalidOperationException(
                    $"two {Family(p.Kind)} plugins are named '{p.Name}': {first.GetType().FullName} ({first.GetType().Assembly.GetName().Name}) " +
                    $"and {p.GetType().FullName} ({p.GetType().Assembly.GetName().Name})");
            }
        }
    }

    public IReadOnlyList<IPlugin> All => byName.Values.OrderBy(p => p.Kind).ThenBy(p => p.Name).ToList();

    public IEnumerable<IPlugin> OfKind(PluginKind kind) => All.Where(p => p.Kind == kind);

    public IModelPlugin Model(string name) => Get<IModelPlugin>(PluginKind.Model, name);
    public ILikelihoodPlugin Likelihood(string name) => Get<ILikelihoodPlugin>(PluginKind.Likelihood, name);
    public IPriorPlugin Prior(string name) => Get<IPriorPlugin>(PluginKind.Prior, name);
    public IEncoderPlugin Encoder(string name) => Get<IEncoderPlugin>(PluginKind.Encoder, name);

    private T Get<T>(PluginKind kind, string name) where T : class, IPlugin
    {
        if (byName.TryGetValue((kind, name), out var p))
            return p as T ?? throw new InvalidOperationException($"{Family(kind)} plugin '{name}' ({p.GetType().FullName}) does not implement {typeof(T).Name}");
        var known = OfKind(kind).Select(x => x.Name).ToList();
        throw new ArgumentException($"unknown {Family(kind)} '{name}' (available: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
    }

    public static string Family(PluginKind kind) => kind.ToString().ToLowerInvariant();
}
