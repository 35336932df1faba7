using Zoo.Core.Data;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Plugins.Reporting.LatentActivity;

namespace Zoo.Plugins.Tests;

/// <summary>
/// Posterior collapse on the generated noisy-halves data (<see cref="Data.NoisyHalves.NoisyHalvesData"/>): plain training leaves every
/// latent unit inactive and warns; KL warm-up and free bits recover active units that carry the class, and a better
/// test ELBO.
/// </summary>
[Collection("Serial")]
public class CollapseTests
{
    private sealed record Outcome(EpochMetrics Last, List<string> Warnings, double ProbeAccuracy);

    private static Outcome Train(params string[] remedy)
    {
        using var sp = Zoo.Services();
        var run = RunConfig.Bind("gaussian-vae",
            Zoo.Pairs([.. new[] { "dataset=noisy-halves", "encoder.hidden=64", "decoder.hidden=64", "latent=4", "epochs=15" }, .. remedy]), sp.Catalog());
        var dir = Zoo.TempDir();
        try
        {
            var warnings = new Warnings();
            double accuracy = 0;
            var probe = new AfterTraining(context =>
                accuracy = NearestMeanAccuracy(PosteriorMeans(context.Model, context.Data.Test), context.Data.TestSet.Labels.data<long>()));
            var result = run.Train(dir, resume: false, [new LatentActivityCallback(), probe], warnings);
            return new Outcome(result.Metrics[^1], warnings.Messages, accuracy);
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Runs an action on the trained model and its data once training is done.</summary>
    private sealed class AfterTraining(Action<TrainingContext> action) : ITrainingCallback
    {
        public void Finished(TrainingContext run, IReadOnlyList<EpochMetrics> history) => action(run);
    }

    private static float[][] PosteriorMeans(Core.Plugins.IVaeModel model, Tensor x)
    {
        using var mu = Core.Imaging.RunPictures.EncodeMeans(model, x, Binarization.None);
        var d = (int)mu.size(1);
        var flat = mu.data<float>();
        return Enumerable.Range(0, (int)mu.size(0)).Select(i => flat.AsSpan(i * d, d).ToArray()).ToArray();
    }

    /// <summary>How often the class mean nearest to an example's posterior mean is its own class (chance: 1/4).</summary>
    private static double NearestMeanAccuracy(float[][] z, long[] labels)
    {
        int d = z[0].Length;
        var means = Enumerable.Range(0, 4).Select(c =>
        {
            var members = z.Where((_, i) => labels[i] == c).ToList();
            return Enumerable.Range(0, d).Select(k => members.Average(v => v[k])).ToArray();
        }).ToArray();
        int right = 0;
        for (int i = 0; i < z.Length; i++)
        {
            var best = Enumerable.Range(0, 4).MinBy(c => Enumerable.Range(0, d).Sum(k => Math.Pow(z[i][k] - means[c][k], 2)));
            if (best == labels[i]) right++;
        }
        return right / (double)z.Length;
    }

    private sealed class Warnings : ITrainingObserver
    {
        public List<string> Messages { get; } = [];
        public void EpochStarted(int epoch, int epochs, int batches) { }
        public void BatchDone(int epoch, int batch, double loss) { }
        public void EpochDone(EpochMetrics metrics) { }
        public void Warning(string message) => Messages.Add(message);
    }

    [Fact]
    public void Plain_training_collapses_and_warns_while_kl_warmup_and_free_bits_recover_informative_units()
    {
        var plain = Train();
        plain.Last.ActiveUnits.ShouldBe(0);
        plain.Last.TestKl.ShouldBeLessThan(0.1);
        plain.Warnings.ShouldContain("posterior collapse: 0 of 4 latent units active after epoch 15 (fewer than min-active-units=1); try kl-warmup=EPOCHS or free-bits=NATS");

        foreach (var remedy in new[] { "kl-warmup=10", "free-bits=0.25" })
        {
            var fixedRun = Train(remedy);
            fixedRun.Last.ActiveUnits.ShouldBeGreaterThanOrEqualTo(1, remedy);
            fixedRun.Last.TestElbo.ShouldBeGreaterThan(plain.Last.TestElbo, remedy);
            fixedRun.ProbeAccuracy.ShouldBeGreaterThan(0.7, remedy); // the units carry the class
            fixedRun.Warnings.ShouldNotContain(w => w.Contains("after epoch 15"), remedy);
        }
    }
}
