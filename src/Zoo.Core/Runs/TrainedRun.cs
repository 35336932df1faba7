using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Runs;

/// <summary>
/// A trained run opened from its folder: the model plugin and config named by the checkpoint, and the model with
/// its trained weights (for sample, reconstruct, encode, latent-plot).
/// </summary>
public sealed class TrainedRun : IDisposable
{
    public required string Dir { get; init; }
    public required IModelPlugin Plugin { get; init; }
    public required object Config { get; init; }
    public required IVaeModel Model { get; init; }
    public required DataShape Shape { get; init; }
    public required int Epoch { get; init; }

    public ITrainingConfig Training => (ITrainingConfig)Config;

    public static TrainedRun Open(string runDir, PluginCatalog catalog)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"run folder {runDir} does not exist (train one with `zoo train MODEL --out {runDir}`)");
        var dir = CheckpointState.Locate(runDir);
        var state = CheckpointState.Load(dir);
        var plugin = catalog.Model(state.Model);
        var config = plugin.Config.FromJson(state.ConfigJson, CheckpointState.StatePath(dir));
        var training = config as ITrainingConfig ?? throw new InvalidDataException($"{runDir}: model '{state.Model}' has no training config");
        var shape = TrainingData.ShapeOf(training);
        using var gen = new Generator((ulong)training.Seed);
        var model = plugin.Create(config, shape, gen);
        try
        {
            model.Module.load(CheckpointState.ModelPath(dir));
            model.Module.eval();
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return new TrainedRun { Dir = runDir, Plugin = plugin, Config = config, Model = model, Shape = shape, Epoch = state.Epoch };
    }

    /// <summary>The run's test split as the model sees it (binarised as in training), with labels.</summary>
    public TrainingData LoadData() => TrainingData.Load(Training);

    public void Dispose() => Model.Dispose();
}
