using Zoo.Core.Configuration;
using Zoo.Torch;

namespace Zoo.Core.Plugins;

/// <summary>
/// Common plumbing for a plugin with config record <typeparamref name="TConfig"/>: the schema, and a typed
/// view of the untyped config that crosses the plugin boundary (a wrong type is a programming error).
/// </summary>
public abstract class Plugin<TConfig> : IPlugin where TConfig : class, new()
{
    private static readonly ConfigSchema Schema = ConfigSchema.For<TConfig>();

    public abstract PluginKind Kind { get; }
    public abstract string Name { get; }
    public abstract string Description { get; }
    public ConfigSchema Config => Schema;

    protected TConfig Typed(object config) => config as TConfig ??
        throw new ArgumentException($"{Kind} '{Name}' expects a {typeof(TConfig).Name}, got {config?.GetType().Name ?? "null"}");
}

public abstract class LikelihoodPlugin<TConfig> : Plugin<TConfig>, ILikelihoodPlugin where TConfig : class, new()
{
    public sealed override PluginKind Kind => PluginKind.Likelihood;
    public ILikelihood Create(object config) => Create(Typed(config));
    protected abstract ILikelihood Create(TConfig config);
}

public abstract class PriorPlugin<TConfig> : Plugin<TConfig>, IPriorPlugin where TConfig : class, new()
{
    public sealed override PluginKind Kind => PluginKind.Prior;
    public IPrior Create(object config) => Create(Typed(config));
    protected abstract IPrior Create(TConfig config);
}

public abstract class EncoderPlugin<TConfig> : Plugin<TConfig>, IEncoderPlugin where TConfig : class, new()
{
    public sealed override PluginKind Kind => PluginKind.Encoder;
    public IEncoder Create(object config, int inputDim, int latentDim, torch.Generator generator) =>
        Create(Typed(config), inputDim, latentDim, generator);
    protected abstract IEncoder Create(TConfig config, int inputDim, int latentDim, torch.Generator generator);
}

public abstract class ModelPlugin<TConfig> : Plugin<TConfig>, IModelPlugin where TConfig : class, new()
{
    public sealed override PluginKind Kind => PluginKind.Model;
    public IVaeModel Create(object config, DataShape data, torch.Generator generator) => Create(Typed(config), data, generator);
    protected abstract IVaeModel Create(TConfig config, DataShape data, torch.Generator generator);
}

/// <summary>A config record with no keys, for plugins without hyperparameters.</summary>
public sealed record NoConfig;
