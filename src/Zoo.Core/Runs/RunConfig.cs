using System.ComponentModel;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Core.Runs;

/// <summary>
/// A run: the trainer's keys (<see cref="TrainingConfig"/>), the model with its own keys and parts, and the data.
/// On the command line every key sits at the top level (`latent=20 encoder.hidden=500 dataset=mnist
/// dataset.binarize=stochastic epochs=10`); in JSON the model and the data are nested objects. A run's config.json is
/// this tree fully resolved, and reloads into the same run.
/// </summary>
[ZooConfig]
public sealed partial record RunConfig : TrainingConfig
{
    [Description("the model: its own keys and parts are written at the top level")]
    [InlineKeys]
    public Part<IModelPlugin> Model { get; init; } = "vae";

    [Description("the data: a data plugin (mnist, fashion-mnist, noisy-halves, credit-g, …) or a path to a .npy, .npz, .csv or .arff file")]
    public Part<IDataPlugin> Dataset { get; init; } = "mnist";

    public IModelPlugin ModelPlugin => Model.Bound;
    public object ModelConfig => Model.BoundConfig;

    /// <summary>
    /// The run of model <paramref name="model"/> with the user's <paramref name="settings"/> over the model's run defaults;
    /// every problem at every level is reported at once, naming the model.
    /// </summary>
    /// <paramref name="defaults"/> (a command's own starting point) go over the model's run defaults and under the settings.
    public static RunConfig Bind(string model, IEnumerable<KeyValuePair<string, string>> settings, PluginCatalog catalog,
        IEnumerable<KeyValuePair<string, string>>? defaults = null)
    {
        var plugin = catalog.Model(model);
        var given = settings.ToList();
        if (given.Any(kv => kv.Key == "model"))
            throw new ConfigException($"{model} config: model is the command's argument (zoo train MODEL), not a key; leave model= out");
        return Schema.Bind(given, $"{model} config", catalog, [new("model", model), .. plugin.RunDefaults, .. defaults ?? []]);
    }

    /// <summary>A run's config.json (or a checkpoint's copy of it), bound again.</summary>
    public static RunConfig FromJson(string json, string source, PluginCatalog catalog) => Schema.FromJson(json, source, catalog);

    public string ToJson() => Schema.ToJson(this);

    /// <summary>Every key of the run as text, parts included (`encoder.hidden`), at the command line's level.</summary>
    public IReadOnlyDictionary<string, string> Values() => Schema.Values(this);

    /// <summary>The run's data as its model trains on it: loaded by the data plugin, then prepared by the model.</summary>
    public TrainingData LoadData()
    {
        var raw = Dataset.Load(new DataRequest(Seed, ModelPlugin.AutoBinarization(ModelConfig), ModelPlugin.SelectsOnValidation));
        try
        {
            var prepared = ModelPlugin.Prepare(ModelConfig, raw, Seed);
            if (!ReferenceEquals(prepared, raw)) raw.Dispose();
            return prepared;
        }
        catch
        {
            raw.Dispose();
            throw;
        }
    }

    /// <summary>
    /// Trains this run into <paramref name="runDir"/> (resuming its checkpoint with <paramref name="resume"/>): loads
    /// the data, then gives the trainer the data, the model's factory and the callbacks. <paramref name="claimed"/>: the
    /// folder's run lock when the caller holds it already (see <see cref="Trainer.Run"/>). <paramref name="ranks"/>: the
    /// data-parallel run this process is a rank of (every rank loads the data; rank 0 alone writes).
    /// </summary>
    public TrainingResult Train(string runDir, bool resume, IEnumerable<ITrainingCallback> callbacks, ITrainingObserver? observer = null,
        CancellationToken cancel = default, FolderLock? claimed = null, Zoo.Torch.Distributed.ProcessGroup? ranks = null)
    {
        using var data = LoadData();
        return new Trainer(Model.Name, ToJson(), this, data, g => CreateModel(data.Shape, g), callbacks) { Ranks = ranks }
            .Run(runDir, resume, observer, cancel, claimed);
    }

    /// <summary>
    /// The config of the run in <paramref name="runDir"/> with <paramref name="overrides"/> applied: only epochs may change
    /// (anything else would make the checkpoint a different run).
    /// </summary>
    public static RunConfig Resumed(string runDir, string model, IReadOnlyList<KeyValuePair<string, string>> overrides, PluginCatalog catalog)
    {
        var dir = CheckpointState.Locate(runDir);
        var state = CheckpointState.Load(dir);
        if (state.Model != model)
            throw new ArgumentException($"{runDir} holds a '{state.Model}' run, not '{model}'");
        var saved = FromJson(state.ConfigJson, CheckpointState.StatePath(dir), catalog);
        var values = saved.Values().ToDictionary();
        foreach (var (key, value) in overrides)
        {
            if (key != "epochs" && !(values.TryGetValue(key, out var old) && old == value))
                throw new ArgumentException($"--resume: {key} is {(values.TryGetValue(key, out var was) ? was : "not set")} in {runDir}'s checkpoint; only epochs may change when resuming");
            values[key] = value;
        }
        values.Remove("model");
        var resumed = Bind(model, values, catalog);
        if (resumed.Epochs < state.Epoch)
            throw new ArgumentException($"--resume: {runDir} has trained {state.Epoch} epochs already; epochs = {resumed.Epochs} would undo them (give epochs >= {state.Epoch})");
        return resumed;
    }

    /// <summary>The model for <paramref name="data"/>, initialised from <paramref name="generator"/>.</summary>
    public IVaeModel CreateModel(DataShape data, Zoo.Torch.torch.Generator generator) => ModelPlugin.Create(ModelConfig, data, generator);
}

/// <summary>Data sets on their own, outside a run (the data a run is scored against).</summary>
public static class DataSets
{
    /// <summary>
    /// The data set <paramref name="value"/> names (a data plugin or a file path) with its default keys and
    /// [0, 1] inputs (binarize=auto means none here).
    /// </summary>
    public static TrainingData Load(string value, PluginCatalog catalog, int seed)
    {
        var plugin = catalog.Resolve(PluginKind.Data, value, out var implied, out var problem) as IDataPlugin
            ?? throw new ConfigException($"dataset = '{value}': {problem}");
        return plugin.Load(plugin.Config.Bind(implied, $"dataset '{value}'", catalog), new DataRequest(seed, Data.Binarization.None));
    }
}
