using Zoo.Torch;

namespace Zoo.Core.Plugins;

/// <summary>The untyped view of a <see cref="Part{TPlugin}"/> that generated schemas bind.</summary>
public interface IPart
{
    /// <summary>The chosen plugin's name (as typed: `encoder=gaussian-mlp`).</summary>
    string Name { get; }

    /// <summary>The chosen plugin, once the config is bound (null in a record's defaults).</summary>
    IPlugin? Plugin { get; }

    /// <summary>The plugin's own config record, bound from the `PART.KEY` settings (null before binding).</summary>
    object? Config { get; }

    /// <summary>This part with another plugin chosen (unbound).</summary>
    IPart Choose(string name);

    /// <summary>This part bound to <paramref name="plugin"/> and its <paramref name="config"/>.</summary>
    IPart Bind(IPlugin plugin, object config);
}

/// <summary>
/// A typed reference to one part of a model: which plugin of the family <typeparamref name="TPlugin"/> stands for
/// (a likelihood, prior, encoder, decoder or data source) and that plugin's config. A config record declares it as
/// an init property with a default name (`= "gaussian-mlp"`); Zoo.Generators binds `encoder=NAME` and
/// `encoder.KEY=VALUE` into it, so a model receives its parts bound and validated, never as text.
/// </summary>
public sealed record Part<TPlugin>(string Name) : IPart where TPlugin : class, IPlugin
{
    public TPlugin? Plugin { get; private init; }
    public object? Config { get; private init; }

    IPlugin? IPart.Plugin => Plugin;

    public static implicit operator Part<TPlugin>(string name) => new(name);

    /// <summary>The bound plugin; a part read before binding is a programming error.</summary>
    public TPlugin Bound => Plugin ?? throw new InvalidOperationException($"{typeof(TPlugin).Name} part '{Name}' is not bound (bind the config through its schema)");

    /// <summary>The bound config.</summary>
    public object BoundConfig => Config ?? throw new InvalidOperationException($"{typeof(TPlugin).Name} part '{Name}' is not bound");

    IPart IPart.Choose(string name) => new Part<TPlugin>(name);

    IPart IPart.Bind(IPlugin plugin, object config) => this with
    {
        Plugin = plugin as TPlugin ?? throw new InvalidOperationException($"plugin '{plugin.Name}' ({plugin.GetType().FullName}) is not a {typeof(TPlugin).Name}"),
        Config = config,
    };

    public override string ToString() => Name;
}

/// <summary>Builds a model's parts from their bound references: typed, with no text in between.</summary>
public static class Parts
{
    public static ILikelihood Create(this Part<ILikelihoodPlugin> part) => part.Bound.Create(part.BoundConfig);

    public static IPrior Create(this Part<IPriorPlugin> part) => part.Bound.Create(part.BoundConfig);

    public static IEncoder Create(this Part<IEncoderPlugin> part, int inputDim, int latentDim, torch.Generator generator) =>
        part.Bound.Create(part.BoundConfig, inputDim, latentDim, generator);

    public static IDecoder Create(this Part<IDecoderPlugin> part, int inputDim, int outputDim, torch.Generator generator) =>
        part.Bound.Create(part.BoundConfig, inputDim, outputDim, generator);

    /// <summary>An encoder for inputs of <paramref name="data"/>'s shape (what a convolutional encoder needs).</summary>
    public static IEncoder Create(this Part<IEncoderPlugin> part, DataShape data, int latentDim, torch.Generator generator) =>
        part.Bound.Create(part.BoundConfig, data, latentDim, generator);

    /// <summary>A decoder to <paramref name="outputsPerDimension"/> values per value of an input of <paramref name="data"/>'s shape.</summary>
    public static IDecoder Create(this Part<IDecoderPlugin> part, int inputDim, DataShape data, int outputsPerDimension, torch.Generator generator) =>
        part.Bound.Create(part.BoundConfig, inputDim, data, outputsPerDimension, generator);

    public static Training.TrainingData Load(this Part<IDataPlugin> part, DataRequest request) => part.Bound.Load(part.BoundConfig, request);

    /// <summary>An unbound part of <paramref name="kind"/> naming <paramref name="name"/> (for a part without a default).</summary>
    public static IPart New(PluginKind kind, string name) => kind switch
    {
        PluginKind.Likelihood => new Part<ILikelihoodPlugin>(name),
        PluginKind.Prior => new Part<IPriorPlugin>(name),
        PluginKind.Encoder => new Part<IEncoderPlugin>(name),
        PluginKind.Decoder => new Part<IDecoderPlugin>(name),
        PluginKind.Data => new Part<IDataPlugin>(name),
        PluginKind.Model => new Part<IModelPlugin>(name),
        _ => throw new ArgumentException($"{kind} is not a part family"),
    };

    /// <summary>The family a part type refers to.</summary>
    public static PluginKind KindOf<TPlugin>() where TPlugin : IPlugin => typeof(TPlugin) switch
    {
        var t when t == typeof(ILikelihoodPlugin) => PluginKind.Likelihood,
        var t when t == typeof(IPriorPlugin) => PluginKind.Prior,
        var t when t == typeof(IEncoderPlugin) => PluginKind.Encoder,
        var t when t == typeof(IDecoderPlugin) => PluginKind.Decoder,
        var t when t == typeof(IDataPlugin) => PluginKind.Data,
        var t when t == typeof(IModelPlugin) => PluginKind.Model,
        var t => throw new ArgumentException($"{t.Name} is not a plugin family"),
    };
}
