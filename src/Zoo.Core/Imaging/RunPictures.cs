using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Imaging;

/// <summary>The pictures a finished training run writes into its folder (the CLI's train verb and the job service share them).</summary>
public static class RunPictures
{
    /// <summary>
    /// samples.png and reconstructions.png, plus latent.png and manifold.png for a 2-D latent; for a table only
    /// latent.png; returns the file names.
    /// </summary>
    public static IReadOnlyList<string> Write(IVaeModel model, TrainingData data, string runDir) => Write(model, data, runDir, latentPlots: true);

    /// <summary>The folder of one epoch's pictures inside a run: epochs/N/ (what the dashboard's epoch slider shows).</summary>
    public static string EpochDir(string runDir, int epoch) => Path.Combine(runDir, EpochsFolder, epoch.ToString(System.Globalization.CultureInfo.InvariantCulture));

    public const string EpochsFolder = "epochs";

    /// <summary>
    /// samples.png and reconstructions.png of the model as it is after <paramref name="epoch"/>, into epochs/N/ (the
    /// latent plots only at the end: they encode the whole test split). Returns the paths relative to the run folder.
    /// </summary>
    public static IReadOnlyList<string> WriteEpoch(IVaeModel model, TrainingData data, string runDir, int epoch)
    {
        if (data.Tabular is not null && !(data.Tabular.Layout.Picture is not null && model is IConditionalDecoder))
            return []; // rows of a table are no pictures (and no empty folder per epoch)
        var dir = EpochDir(runDir, epoch);
        Directory.CreateDirectory(dir);
        return Write(model, data, dir, latentPlots: false).Select(f => Path.GetRelativePath(runDir, Path.Combine(dir, f))).ToList();
    }

    private static IReadOnlyList<string> Write(IVaeModel model, TrainingData data, string runDir, bool latentPlots)
    {
        if (data.Tabular?.Layout.Picture is not null && model is IConditionalDecoder conditional)
        {
            // Images with a nuisance s (the VFAE on MNIST): generated from z ~ N(0, I) with s from test images.
            var shape = data.Shape.Pictured();
            using (var draws = new Generator(0))
            using (var sources = data.Test.narrow(0, 0, Math.Min(10, data.Test.size(0))))
                ModelPictures.ConditionalSamples(conditional, model.LatentDim, sources, shape, 10, draws).Save(Path.Combine(runDir, "samples.png"));
            List<string> files = ["samples.png"];
            using (var draws = new Generator(0))
            using (var sources = data.Test.narrow(0, 0, Math.Min(10, data.Test.size(0))))
                if (ModelPictures.ClassConditionalSamples(conditional, shape.Classes, sources, shape, draws) is { } byClass)
                {
                    byClass.Save(Path.Combine(runDir, "samples-by-class.png"));
                    files.Add("samples-by-class.png");
                }
            using (var x = data.Test.narrow(0, 0, Math.Min(50, data.Test.size(0))))
                ModelPictures.Reconstructions(model, x, shape).Save(Path.Combine(runDir, "reconstructions.png"));
            files.Add("reconstructions.png");
            if (latentPlots && model.LatentDim == 2) files.AddRange(WriteLatentPlots(model, data, runDir));
            return files;
        }
        if (data.Tabular is not null)
            return latentPlots && model.LatentDim == 2 ? WriteLatentPlots(model, data, runDir) : []; // rows of a table are no pictures; a 2-D representation still is
        using var gen = new Generator(0);
        ModelPictures.Samples(model, data.Shape, 100, gen).Save(Path.Combine(runDir, "samples.png"));
        using (var x = data.Test.narrow(0, 0, Math.Min(50, data.Test.size(0))))
            ModelPictures.Reconstructions(model, x, data.Shape).Save(Path.Combine(runDir, "reconstructions.png"));
        return latentPlots && model.LatentDim == 2 ? ["samples.png", "reconstructions.png", .. WriteLatentPlots(model, data, runDir)] : ["samples.png", "reconstructions.png"];
    }

    /// <summary>
    /// latent.png (test means by label) and manifold.png (decoded over [-3,3]²); the manifold only where z alone
    /// makes a picture (not for tables, nor for decoders that also need s). Returns the file names.
    /// </summary>
    public static IReadOnlyList<string> WriteLatentPlots(IVaeModel model, TrainingData data, string dir)
    {
        using var means = EncodeMeans(model, data.Test, Binarization.None);
        ModelPictures.LatentScatter(means, data.TestSet.Labels).Save(Path.Combine(dir, "latent.png"));
        if (data.Tabular is not null || model is IConditionalDecoder) return ["latent.png"];
        ModelPictures.Manifold(model, data.Shape).Save(Path.Combine(dir, "manifold.png"));
        return ["latent.png", "manifold.png"];
    }

    /// <summary>Posterior means in batches, without gradients; training pixels are binarised as in training (thresholded; stochastic with a fixed seed).</summary>
    public static Tensor EncodeMeans(IVaeModel model, Tensor x, Binarization binarization)
    {
        using var _ = no_grad();
        using var gen = new Generator(0x5EED_7E57);
        var parts = new List<Tensor>();
        try
        {
            for (long start = 0; start < x.size(0); start += Trainer.EvalBatch)
            {
                using var scope = NewDisposeScope();
                var batch = Batches.Binarize(x.narrow(0, start, Math.Min(Trainer.EvalBatch, x.size(0) - start)), binarization, gen);
                parts.Add(model.Encode(batch).Mean.clone().DetachFromDisposeScope());
            }
            return cat(parts);
        }
        finally
        {
            foreach (var p in parts) p.Dispose();
        }
    }
}
