using Zoo.Core.Configuration;
using Zoo.Torch;

namespace Zoo.Core.Plugins;

/// <summary>
/// Common plumbing for a plugin with config record <typeparamref name="TConfig"/>: the record's generated schema,
/// and a typed view of the untyped config that crosses the plugin boundary (a wrong type is a programming error).
/// Name and Description are written by Zoo.Generators from the class's [ZooPlugin].
/// </summary>
public abstract class Plugin<TConfig> : IPlugin where TConfig : class, IZooConfig<TConfig>
{
    public abstract PluginKind Kind { get; }
    public abstract string Name { get; }
    public abstract string Description { get; }
    public IConfigSchema Config => TConfig.Schema;

    protected TConfig Typed(object config) => config as TConfig ??
        throw new ArgumentException($"{Kind} '{Name}' expects a {typeof(TConfig).Name}, got {config?.GetType().Name ?? "null"}");
}

public abstract class LikelihoodPlugin<TConfig> : Plugin<TConfig>, ILikelihoodPlugin where TConfig : class, IZooConfig<TConfig>
{
    public sealed override PluginKind Kind => PluginKind.Likelihood;
    public ILikelihood Create(object config) => Create(Typed(config));
    protected abstract ILikelihood Create(TConfig config);
}

public abstract class PriorPlugin<TConfig> : Plugin<TConfig>, IPriorPlugin where TConfig : class, IZooConfig<TConfig>
{
    public sealed override PluginKind Kind => PluginKind.Prior;
    public IPrior Create(object config) => Create(Typed(config));
    protected abstract IPrior Create(TConfig config);
}

public abstract class EncoderPlugin<TConfig> : Plugin<TConfig>, IEncoderPlugin where TConfig : class, IZooConfig<TConfig>
{
    public sealed override PluginKind Kind => PluginKind.Encoder;
    public IEncoder Create(object config, int inputDim, int latentDim, torch.Generator generator) =>
        Create(Typed(config), inputDim, latentDim, generator);
    protected abstract IEncoder Create(TConfig config, int inputDim, int latentDim, torch.Generator generator);
}

public abstract class ModelPlugin<TConfig> : Plugin<TConfig>, IModelPlugin where TConfig : class, IZooConfig<TConfig>
{
    public sealed override PluginKind Kind => PluginKind.Model;
    public IVaeModel Create(object config, DataShape data, torch.Generator generator) => Create(Typed(config), data, generator);
    protected abstract IVaeModel Create(TConfig config, DataShape data, torch.Generator generator);
}

/// <summary>A config record with no keys, for plugins without hyperparameters.</summary>
[ZooConfig]
public sealed partial record NoConfig;
