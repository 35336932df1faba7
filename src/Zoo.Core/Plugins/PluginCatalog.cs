using static Zoo.Torch.torch;

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

    /// <summary>A likelihood bound from its settings; a bad key fails naming <paramref name="owner"/> (the model), the family and the plugin.</summary>
    public ILikelihood CreateLikelihood(string name, IEnumerable<KeyValuePair<string, string>> settings, string owner)
    {
        var plugin = Likelihood(name);
        return plugin.Create(plugin.Config.Bind(settings, $"{owner}: likelihood '{name}' config"));
    }

    /// <summary>A prior bound from its settings; errors name <paramref name="owner"/> as for <see cref="CreateLikelihood"/>.</summary>
    public IPrior CreatePrior(string name, IEnumerable<KeyValuePair<string, string>> settings, string owner)
    {
        var plugin = Prior(name);
        return plugin.Create(plugin.Config.Bind(settings, $"{owner}: prior '{name}' config"));
    }

    /// <summary>
    /// The encoder plugin bound to a model's hidden sizes and activation, as a factory of encoders (input size, latent
    /// size, generator), so that a model with several Gaussian networks binds the settings once.
    /// </summary>
    public Func<int, int, Generator, IEncoder> EncoderFactory(string name, IReadOnlyList<int> hidden, string activation, string owner)
    {
        var plugin = Encoder(name);
        var config = plugin.Config.Bind(
            [new("hidden", string.Join(",", hidden.Select(h => h.ToString(System.Globalization.CultureInfo.InvariantCulture)))), new("activation", activation)],
            $"{owner}: encoder '{name}' config");
        return (inputDim, latentDim, generator) => plugin.Create(config, inputDim, latentDim, generator);
    }

    private T Get<T>(PluginKind kind, string name) where T : class, IPlugin
    {
        if (byName.TryGetValue((kind, name), out var p))
            return p as T ?? throw new InvalidOperationException($"{Family(kind)} plugin '{name}' ({p.GetType().FullName}) does not implement {typeof(T).Name}");
        var known = OfKind(kind).Select(x => x.Name).ToList();
        throw new ArgumentException($"unknown {Family(kind)} '{name}' (available: {(known.Count == 0 ? "none" : string.Join(", ", known))})");
    }

    public static string Family(PluginKind kind) => kind.ToString().ToLowerInvariant();
}
