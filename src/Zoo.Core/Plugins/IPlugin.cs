using Zoo.Core.Configuration;

namespace Zoo.Core.Plugins;

/// <summary>
/// The plugin families a run is composed from: a model and its parts (likelihood, prior, encoder, decoder), the data
/// it trains on, and callbacks the trainer tells about its progress.
/// </summary>
public enum PluginKind { Likelihood, Prior, Encoder, Decoder, Data, Model, Callback }

/// <summary>
/// What every plugin declares: its family, a unique name within that family (kebab-case, as users type it),
/// a one-line description and the schema of its config record (keys, defaults, ranges, docs).
/// Plugins are registered in DI as <see cref="IPlugin"/> and resolved by name through <see cref="PluginCatalog"/>.
/// </summary>
public interface IPlugin
{
    PluginKind Kind { get; }
    string Name { get; }
    string Description { get; }
    IConfigSchema Config { get; }
}
