using Zoo.Core.Plugins;

namespace Zoo.Core.Training;

/// <summary>What a callback sees of a run: its folder, model, data and training keys, and where to report.</summary>
public sealed record TrainingContext(string RunDir, string ModelName, TrainingConfig Training, IVaeModel Model, TrainingData Data,
    ITrainingObserver? Observer)
{
    private readonly List<string> files = [];

    /// <summary>The files callbacks wrote into the run folder (for the summary line).</summary>
    public IReadOnlyList<string> Files => files;

    public void Wrote(params string[] names)
    {
        foreach (var n in names) if (!files.Contains(n)) files.Add(n);
    }
}

/// <summary>
/// Told about a run as the trainer goes: the trainer is the loop (batches, step, evaluation, checkpoint, resume, stop)
/// and everything else it used to write (metrics.csv, curves, pictures, active units, accuracy) is a callback.
/// Callbacks run in <see cref="Order"/>, in eval mode without gradients.
/// </summary>
public interface ITrainingCallback
{
    /// <summary>Lower first: measures that others report run early.</summary>
    int Order => 0;

    /// <summary>Before the first epoch (of this process): <paramref name="history"/> holds the epochs a resumed run already has.</summary>
    void Started(TrainingContext run, IReadOnlyList<EpochMetrics> history) { }

    /// <summary>After an epoch's test evaluation, before its checkpoint: add figures of its own (they are checkpointed with the epoch).</summary>
    EpochMetrics Measure(TrainingContext run, EpochMetrics metrics) => metrics;

    /// <summary>After the epoch's checkpoint.</summary>
    void EpochEnded(TrainingContext run, IReadOnlyList<EpochMetrics> history) { }

    /// <summary>After the last epoch, with the trained model.</summary>
    void Finished(TrainingContext run, IReadOnlyList<EpochMetrics> history) { }
}
