using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Runs;

/// <summary>
/// A trained run opened from its folder: the run config its checkpoint holds, bound again, and the model with its
/// trained weights (for sample, reconstruct, encode, latent-plot, eval).
/// </summary>
public sealed class TrainedRun : IDisposable
{
    public required string Dir { get; init; }
    public required RunConfig Config { get; init; }
    public required IVaeModel Model { get; init; }
    public required DataShape Shape { get; init; }
    public required int Epoch { get; init; }

    public IModelPlugin Plugin => Config.ModelPlugin;
    public TrainingConfig Training => Config;

    /// <summary>The data set's name as the run was given it (a plugin name or a path).</summary>
    public string Dataset => Config.Dataset.Name;

    /// <summary>
    /// Opens <paramref name="runDir"/>: a run folder (its last checkpoint), or one of its checkpoint folders itself
    /// (RUN/checkpoint-best, the epoch selected on the validation split). The model is sized from the run's own data,
    /// loaded once here and kept in <see cref="Data"/> for the verbs that need it.
    /// </summary>
    public static TrainedRun Open(string runDir, PluginCatalog catalog)
    {
        if (!Directory.Exists(runDir)) throw new DirectoryNotFoundException($"run folder {runDir} does not exist (train one with `zoo train MODEL --out {runDir}`)");
        var dir = File.Exists(CheckpointState.StatePath(runDir)) ? runDir : CheckpointState.Locate(runDir);
        var state = CheckpointState.Load(dir);
        var config = RunConfig.FromJson(state.ConfigJson, CheckpointState.StatePath(dir), catalog);
        var data = config.LoadData();
        try
        {
            using var gen = new Generator((ulong)config.Seed);
            var model = config.CreateModel(data.Shape, gen);
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
            return new TrainedRun { Dir = runDir, Config = config, Model = model, Shape = data.Shape, Epoch = state.Epoch, data = data };
        }
        catch
        {
            data.Dispose();
            throw;
        }
    }

    private TrainingData? data;

    /// <summary>The run's data as the model saw it (binarised as in training), with labels; owned by the run.</summary>
    public TrainingData Data => data ?? throw new ObjectDisposedException(nameof(TrainedRun));

    public void Dispose()
    {
        Model.Dispose();
        data?.Dispose();
        data = null;
    }
}
