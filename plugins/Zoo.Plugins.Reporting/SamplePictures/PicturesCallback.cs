using Zoo.Core.Configuration;
using Zoo.Core.Imaging;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Reporting.SamplePictures;

/// <summary>
/// After training: samples.png and reconstructions.png (samples-by-class.png for a class-conditional prior), and
/// latent.png / manifold.png for a 2-D latent; a table's rows are no pictures, so a table run gets latent.png only.
/// </summary>
public sealed class PicturesCallback : ITrainingCallback
{
    public void Finished(TrainingContext run, IReadOnlyList<EpochMetrics> history) =>
        run.Wrote([.. RunPictures.Write(run.Model, run.Data, run.RunDir)]);
}

[ZooPlugin("pictures", Description = "samples, reconstructions and (2-D latents) latent plots in the run folder after training")]
public sealed partial class PicturesPlugin : CallbackPlugin<NoConfig>
{
    protected override ITrainingCallback Create(NoConfig config) => new PicturesCallback();
}
