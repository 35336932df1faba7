using Zoo.Core.Configuration;
using Zoo.Core.Imaging;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Reporting.SamplePictures;

/// <summary>
/// After each epoch: its samples and reconstructions in epochs/N/ (the dashboard's epoch slider; the same draws every
/// epoch, so the pictures show the model change, not the noise). After training: samples.png and reconstructions.png (samples-by-class.png for a class-conditional prior), and
/// latent.png / manifold.png for a 2-D latent; a table's rows are no pictures, so a table run gets latent.png only.
/// </summary>
public sealed class PicturesCallback : ITrainingCallback
{
    public void EpochEnded(TrainingContext run, IReadOnlyList<EpochMetrics> history) =>
        RunPictures.WriteEpoch(run.Model, run.Data, run.RunDir, history[^1].Epoch);

    public void Finished(TrainingContext run, IReadOnlyList<EpochMetrics> history) =>
        run.Wrote([.. RunPictures.Write(run.Model, run.Data, run.RunDir)]);
}

[ZooPlugin("pictures", Description = "samples and reconstructions after each epoch (epochs/N/) and in the run folder after training, with latent plots for 2-D latents")]
public sealed partial class PicturesPlugin : CallbackPlugin<NoConfig>
{
    protected override ITrainingCallback Create(NoConfig config) => new PicturesCallback();
}
