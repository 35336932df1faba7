using Zoo.Core.Training;

namespace Zoo.Cli.Commands;

/// <summary>A command's own use of a run as it trains (checks before the first epoch, scores after the last).</summary>
internal sealed class RunHooks(Action<TrainingContext>? started = null, Action<TrainingContext>? finished = null) : ITrainingCallback
{
    public int Order => -1000; // first: a check refuses the run before the registered callbacks write anything

    public void Started(TrainingContext run, IReadOnlyList<EpochMetrics> history) => started?.Invoke(run);

    public void Finished(TrainingContext run, IReadOnlyList<EpochMetrics> history) => finished?.Invoke(run);
}
