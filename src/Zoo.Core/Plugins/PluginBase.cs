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
    public virtual bool WantsBinaryData => false;
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
    public IEncoder Create(object config, DataShape data, int latentDim, torch.Generator generator) =>
        Create(Typed(config), data, latentDim, generator);
    protected abstract IEncoder Create(TConfig config, int inputDim, int latentDim, torch.Generator generator);
    /// <summary>An encoder for inputs of <paramref name="data"/>'s shape; override where the picture matters (convolutions).</summary>
    protected virtual IEncoder Create(TConfig config, DataShape data, int latentDim, torch.Generator generator) =>
        Create(config, data.Dimensions, latentDim, generator);
}

public abstract class DecoderPlugin<TConfig> : Plugin<TConfig>, IDecoderPlugin where TConfig : class, IZooConfig<TConfig>
{
    public sealed override PluginKind Kind => PluginKind.Decoder;
    public IDecoder Create(object config, int inputDim, int outputDim, torch.Generator generator) =>
        Create(Typed(config), inputDim, outputDim, generator);
    public IDecoder Create(object config, int inputDim, DataShape data, int outputsPerDimension, torch.Generator generator) =>
        Create(Typed(config), inputDim, data, outputsPerDimension, generator);
    protected abstract IDecoder Create(TConfig config, int inputDim, int outputDim, torch.Generator generator);
    /// <summary>A decoder to k blocks of <paramref name="data"/>'s shape; override where the picture matters (convolutions).</summary>
    protected virtual IDecoder Create(TConfig config, int inputDim, DataShape data, int outputsPerDimension, torch.Generator generator) =>
        Create(config, inputDim, outputsPerDimension * data.Dimensions, generator);
}

public abstract class DataPlugin<TConfig> : Plugin<TConfig>, IDataPlugin where TConfig : class, IZooConfig<TConfig>
{
    public sealed override PluginKind Kind => PluginKind.Data;
    public virtual IReadOnlyList<string> FileExtensions => [];
    public Training.TrainingData Load(object config, DataRequest request) => Load(Typed(config), request);
    protected abstract Training.TrainingData Load(TConfig config, DataRequest request);
}

public abstract class ModelPlugin<TConfig> : Plugin<TConfig>, IModelPlugin where TConfig : class, IZooConfig<TConfig>
{
    public sealed override PluginKind Kind => PluginKind.Model;
    public virtual IReadOnlyList<KeyValuePair<string, string>> RunDefaults => [];
    public virtual bool SelectsOnValidation => true;
    public IVaeModel Create(object config, DataShape data, torch.Generator generator) => Create(Typed(config), data, generator);
    public Data.Binarization AutoBinarization(object config) => AutoBinarization(Typed(config));
    public Training.TrainingData Prepare(object config, Training.TrainingData data, int seed) => Prepare(Typed(config), data, seed);
    protected abstract IVaeModel Create(TConfig config, DataShape data, torch.Generator generator);
    protected virtual Data.Binarization AutoBinarization(TConfig config) => Data.Binarization.None;
    protected virtual Training.TrainingData Prepare(TConfig config, Training.TrainingData data, int seed) => data;
}

public abstract class CallbackPlugin<TConfig> : Plugin<TConfig>, ICallbackPlugin where TConfig : class, IZooConfig<TConfig>
{
    public sealed override PluginKind Kind => PluginKind.Callback;
    public Training.ITrainingCallback Create(object config) => Create(Typed(config));
    protected abstract Training.ITrainingCallback Create(TConfig config);
}

/// <summary>A config record with no keys, for plugins without hyperparameters.</summary>
[ZooConfig]
public sealed partial record NoConfig;
