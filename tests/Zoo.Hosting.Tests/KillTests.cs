using System.Diagnostics;
using System.Globalization;
using Zoo.Core.Training;
using Zoo.Hosting.Jobs;

namespace Zoo.Hosting.Tests;

/// <summary>Fault injection: `zoo serve` killed with SIGKILL mid-job, again and again, never leaves a corrupt record or checkpoint.</summary>
[Collection("jobs")]
public class KillTests
{
    private static Process Serve(ZooHome home, List<string>? output = null) => TestHome.Serve(home, output);

    private static string[] Snapshot(List<string> lines) { lock (lines) return lines.ToArray(); }

    private static void CheckIntact(JobStore store, string id)
    {
        var record = store.Find(id).ShouldNotBeNull();          // parses: written by rename, never half
        var runDir = store.RunDir(id);
        // Killed before the first checkpoint: nothing to check yet (the job restarts from scratch).
        if (!Directory.Exists(Path.Combine(runDir, CheckpointState.Folder)) && !Directory.Exists(Path.Combine(runDir, CheckpointState.Folder + ".old"))) return;
        var state = CheckpointState.Load(CheckpointState.Locate(runDir));   // parses, with its tensors beside it
        new FileInfo(CheckpointState.ModelPath(CheckpointState.Locate(runDir))).Length.ShouldBeGreaterThan(0);
        var rows = File.ReadAllLines(TestHome.MetricsPath(runDir));
        rows[0].ShouldBe(EpochMetrics.CsvHeader());
        // metrics.csv is rewritten from the checkpoint's history after each checkpoint (and again on resume), so a kill
        // between the two leaves it at most one epoch behind, and never torn.
        (rows.Length - 1).ShouldBeGreaterThanOrEqualTo(state.Epoch - 1);
    }

    private const int Epochs = 8;

    [Fact]
    public void Kill_9_during_training_loses_at_most_the_work_since_the_checkpoint_and_corrupts_nothing()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        var id = store.Submit(new JobSpec("bernoulli-vae", new Dictionary<string, string>
        {
            ["dataset.train-limit"] = "12000", ["dataset.test-limit"] = "500", ["encoder.hidden"] = "128", ["decoder.hidden"] = "128",
            ["latent"] = "4", ["epochs"] = Epochs.ToString(CultureInfo.InvariantCulture), ["batch-size"] = "50",
        }));
        var rng = new Random(7);
        int kills = 0;
        for (int round = 0; round < 3; round++)
        {
            using var serve = Serve(t.Home);
            var sw = Stopwatch.StartNew();
            // This round's attempt has started when the record says running with one attempt more than the kills so far
            // (a record killed mid-run still says running until the new service recovers it: on a loaded machine that
            // takes seconds, and a kill then would stop no attempt).
            bool Started() => store.Find(id) is { State: JobState.Running } job && job.Attempts > kills;
            while (!Started() && sw.Elapsed.TotalSeconds < 60) Thread.Sleep(20);
            // A random moment of the attempt, but before the job's last epoch: on a fast machine the whole job takes about
            // a second, and a kill after it has finished stops nothing (kills stayed 0 in 2 of 5 runs on a Zen 5 VM).
            var killAt = TimeSpan.FromMilliseconds(rng.Next(500, 4000));
            var waited = Stopwatch.StartNew();
            while (waited.Elapsed < killAt && store.Find(id) is { Epoch: < Epochs - 1, IsFinal: false }) Thread.Sleep(10);
            bool finished = store.Find(id)!.IsFinal, started = finished || store.Find(id)!.Attempts > kills;
            // SIGKILL: no shutdown code runs. When the job finished before the kill, this round's serve is stopped all the
            // same: left running, it would hold the home lock and the next serve would be refused.
            serve.Kill(entireProcessTree: true);
            serve.WaitForExit();
            if (finished) break;
            if (!started) continue;
            kills++;
            CheckIntact(store, id);
        }
        kills.ShouldBeGreaterThan(0);
        var lines = new List<string>();
        using (var serve = Serve(t.Home, lines))
        {
            var sw = Stopwatch.StartNew();
            // SIGTERM is handled once the host has started (before that the runtime's default action applies).
            while (!Snapshot(lines).Any(l => l.Contains("Application started")) && sw.Elapsed.TotalSeconds < 60) Thread.Sleep(20);
            while (store.Find(id) is not { IsFinal: true } && sw.Elapsed.TotalSeconds < 120) Thread.Sleep(50);
            Process.Start("kill", ["-TERM", serve.Id.ToString()])!.WaitForExit();
            serve.WaitForExit(30_000).ShouldBeTrue("zoo serve stops on SIGTERM");
            serve.ExitCode.ShouldBe(0, string.Join('\n', Snapshot(lines).TakeLast(20)));
        }
        var done = store.Find(id)!;
        done.State.ShouldBe(JobState.Succeeded);
        done.Attempts.ShouldBe(kills + 1);
        CheckIntact(store, id);
        File.ReadAllLines(TestHome.MetricsPath(store.RunDir(id))).Length.ShouldBe(9);
    }
}
