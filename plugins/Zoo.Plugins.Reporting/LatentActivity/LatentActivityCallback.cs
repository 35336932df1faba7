using Zoo.Core.Configuration;
using Zoo.Core.Evaluation;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Reporting.LatentActivity;

/// <summary>
/// After every epoch: the active latent units on the test split (Burda et al.'s A_u &gt; 0.01) into the epoch's
/// figures, and a posterior-collapse warning when fewer than the run's min-active-units are active.
/// </summary>
public sealed class LatentActivityCallback : ITrainingCallback
{
    public int Order => -10;

    public EpochMetrics Measure(TrainingContext run, EpochMetrics metrics)
    {
        var active = LatentDiagnostics.Compute(run.Model, run.Data.Test).ActiveUnits;
        if (active < run.Training.MinActiveUnits)
            run.Observer?.Warning($"posterior collapse: {active} of {run.Model.LatentDim} latent units active after epoch {metrics.Epoch} " +
                                  $"(fewer than min-active-units={run.Training.MinActiveUnits}); try kl-warmup=EPOCHS or free-bits=NATS");
        return metrics with { ActiveUnits = active };
    }
}

[ZooPlugin("latent-activity", Description = "active latent units after every epoch (metrics.csv active_units) and a posterior-collapse warning")]
public sealed partial class LatentActivityPlugin : CallbackPlugin<NoConfig>
{
    protected override ITrainingCallback Create(NoConfig config) => new LatentActivityCallback();
}
