using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo bench vfae`: the semi-supervised VFAE of `zoo semisupervised` (its defaults, 100 labels: MNIST with the last 100
/// pixels as s, 85,600 rows an epoch) for N epochs through the real trainer; prints seconds per epoch (optimisation
/// steps alone, as the PyTorch peer bench/pytorch_vfae.py times them), the test bound and q(y|z1)'s test accuracy
/// per epoch. With --profile N it first times N training steps phase by phase on a fresh model (not the one trained).
/// </summary>
internal static class VfaeBenchmark
{
    public static int Run(int epochs, int labels, int profileSteps, string? jsonPath, TextWriter stdout)
    {
        if (epochs < 0) throw new ArgumentException($"--epochs must be at least 0, found {epochs}");
        if (labels < 1) throw new ArgumentException($"--labels must be at least 1, found {labels}");
        if (profileSteps < 0) throw new ArgumentException($"--profile must be at least 0, found {profileSteps}");
        var inv = CultureInfo.InvariantCulture;
        using var services = ZooServices.Build();
        var catalog = services.GetRequiredService<PluginCatalog>();
        var run = RunConfig.Bind("vfae", [new("labels", labels.ToString(inv)), new("epochs", Math.Max(1, epochs).ToString(inv))], catalog,
            ConfigText.ParseAssignments(SemiSupervisedCommand.Defaults));
        stdout.WriteLine($"zoo bench vfae: vfae on MNIST as `zoo semisupervised` ({labels} labels, hidden 500, latent 50/50, alpha 100, labelled share 0.3, " +
                         $"batch 100, Adam 1e-3); {Threading.Engine}");
        Threading.WriteBlasNote(stdout);
        if (profileSteps > 0) Profile(run, profileSteps, stdout);
        if (epochs == 0) return 0;
        var accuracy = catalog.Resolve(PluginKind.Callback, "classifier-accuracy", out _, out _) as ICallbackPlugin
                       ?? throw new InvalidOperationException("the classifier-accuracy callback is not installed");
        var dir = Path.Combine(Path.GetTempPath(), $"zoo-bench-vfae-{Environment.ProcessId}");
        try
        {
            var result = run.Train(dir, resume: false, callbacks: [accuracy.Create(accuracy.Config.Default())]); // no files, no pictures
            var rows = result.Metrics.Select(m => (m.Epoch, Seconds: m.TrainSeconds, Bound: m.TestElbo, Accuracy: m.Extra!["test_accuracy"],
                EvalSeconds: m.Seconds - m.TrainSeconds, m.LiveTensors)).ToList();
            foreach (var r in rows)
                stdout.WriteLine(string.Create(inv,
                    $"epoch {r.Epoch}: {r.Seconds:F2} s  test bound {r.Bound:F2}  q(y|z1) test accuracy {r.Accuracy:F4}  (evaluation {r.EvalSeconds:F2} s, live tensors {r.LiveTensors})"));
            var secs = rows.Select(r => r.Seconds).Order().ToList();
            var median = secs.Count % 2 == 1 ? secs[secs.Count / 2] : (secs[secs.Count / 2 - 1] + secs[secs.Count / 2]) / 2;
            stdout.WriteLine(string.Create(inv,
                $"zoo: median {median:F2} s/epoch, after {epochs} epochs test bound {rows[^1].Bound:F2}, accuracy {rows[^1].Accuracy:F4}"));
            if (jsonPath is not null)
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(new
                {
                    impl = "zoo", threads = get_num_threads(), median_epoch_seconds = median,
                    epochs = rows.Select(r => new { epoch = r.Epoch, seconds = r.Seconds, test_bound = r.Bound, test_accuracy = r.Accuracy, live_tensors = r.LiveTensors }),
                }));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        return 0;
    }

    /// <summary>
    /// <paramref name="steps"/> training steps as the trainer takes them (after 20 untimed ones), each phase timed: the
    /// batch, its row facts, the loss's own phases (the model laps a <see cref="PhaseClock"/>), backward, Adam and the
    /// trainer's reads of the loss terms; then one evaluation (test bound and q(y|z1) accuracy over the 10,000 test rows).
    /// </summary>
    private static void Profile(RunConfig run, int steps, TextWriter stdout)
    {
        var inv = CultureInfo.InvariantCulture;
        using var data = run.LoadData();
        using var gen = new Generator((ulong)run.Seed);
        using var model = run.CreateModel(data.Shape, gen);
        using var adam = optim.Adam(model.Module.parameters(), lr: run.LearningRate);
        var clock = new PhaseClock(Threading.PairBusySoFar);
        const int warm = 20;
        var facts = data.TrainFacts;
        long rowsSeen = 0, labelledSeen = 0;
        var total = new Stopwatch();
        bool flushed = Threading.FlushDenormal;
        Threading.SetFlushDenormal(true);  // as the trainer does
        model.Module.train();
        int done = 0;
        using (Threading.PairLoop()) // as the trainer runs its batches
        {
            while (done < steps + warm)
                foreach (var index in Batches.Shuffled(data.EpochCount, run.BatchSize, gen))
                {
                    using var scope = NewDisposeScope();
                    if (done == warm) { clock.Clear(); total.Restart(); Threading.TakePairStatistics(); }
                    if (done++ >= steps + warm) break;
                    clock.Start();
                    var x = data.TrainBatch(index, gen);
                    clock.Lap("batch: rows, stochastic binarisation");
                    var batchFacts = facts?.Select(index.data<long>());
                    clock.Lap("row facts (host)");
                    if (model is IPhaseTimed timed) timed.Clock = clock;
                    adam.zero_grad();
                    var terms = batchFacts is not null && model is IRowFactsLoss byFacts ? byFacts.Loss(x, batchFacts, gen) : model.Loss(x, gen);
                    if (model is IPhaseTimed t) t.Clock = null;
                    adam.BeginEagerStep(); // as the trainer does
                    terms.Loss.backward();
                    clock.Lap("backward");
                    adam.step();
                    clock.Lap("Adam");
                    _ = terms.Loss.item<double>() + terms.Reconstruction.sum().item<double>() + terms.Kl.sum().item<double>();
                    clock.Lap("loss terms read (the trainer's, per step)");
                    if (done > warm && batchFacts is not null) { rowsSeen += batchFacts.Labelled.Length; labelledSeen += batchFacts.Labelled.Count(l => l); }
                }
        }
        total.Stop();
        var pair = Threading.TakePairStatistics();
        Threading.SetFlushDenormal(flushed);
        double stepMs = total.Elapsed.TotalMilliseconds / steps;
        int batches = (data.EpochCount + run.BatchSize - 1) / run.BatchSize;
        stdout.WriteLine(string.Create(inv, $"profile: {steps} steps (after {warm} untimed), {stepMs:F2} ms a step, {100.0 * labelledSeen / Math.Max(1, rowsSeen):F1} % of rows labelled; " +
                                             $"an epoch of {batches} steps ≈ {stepMs * batches / 1000:F1} s"));
        // The pair's busy share of each phase: how much of it ran on both cores.
        foreach (var (phase, ms, pairMs) in clock.Totals)
            stdout.WriteLine(string.Create(inv, $"  {phase,-68} {ms / steps,7:F3} ms  {100 * ms / total.Elapsed.TotalMilliseconds,5:F1} %   pair busy {100 * pairMs / Math.Max(ms, 1e-9),3:F0} %"));
        stdout.WriteLine("  " + pair.Describe(steps, total.Elapsed));
        model.Module.eval();
        var sw = Stopwatch.StartNew();
        Trainer.Evaluate(model, data.Test, run.Seed);
        var evalMs = sw.Elapsed.TotalMilliseconds;
        sw.Restart();
        if (model is IClassifier classifier)
            using (no_grad())
                for (long start = 0; start < data.Test.size(0); start += Trainer.EvalBatch)
                {
                    using var scope = NewDisposeScope();
                    classifier.Classify(data.Test.narrow(0, start, Math.Min(Trainer.EvalBatch, data.Test.size(0) - start))).argmax(1).data<long>();
                }
        stdout.WriteLine(string.Create(inv, $"  evaluation after each epoch: test bound {evalMs / 1000:F2} s, q(y|z1) accuracy {sw.Elapsed.TotalSeconds:F2} s ({data.Test.size(0)} rows)"));
    }
}
