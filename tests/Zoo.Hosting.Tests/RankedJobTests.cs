using System.Diagnostics;
using Zoo.Hosting.Jobs;

namespace Zoo.Hosting.Tests;

/// <summary>
/// A job of N ranks: `zoo serve` (a real process) starts `zoo launch --nproc N` for it, rank 0's epochs reach the
/// record and the log, a cancel ends every rank, and a job file's ranks are checked in one line.
/// </summary>
[Collection("jobs")]
public class RankedJobTests
{
    private static readonly Dictionary<string, string> Small = new()
    {
        ["dataset"] = "noisy-halves", ["dataset.train-limit"] = "600", ["dataset.test-limit"] = "200", ["encoder.hidden"] = "32",
        ["decoder.hidden"] = "32", ["latent"] = "2", ["batch-size"] = "50",
    };

    private static Process Serve(ZooHome home) => TestHome.Serve(home);

    private static JobRecord WaitFor(JobStore store, string id, Func<JobRecord, bool> done, int seconds)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            if (store.Find(id) is { } r && done(r)) return r;
            Thread.Sleep(100);
        }
        return store.Find(id)!;
    }

    [Fact]
    public void A_two_rank_job_trains_through_zoo_launch_and_its_epochs_reach_the_record()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        var id = store.Submit(new JobSpec("vae", new Dictionary<string, string>(Small) { ["epochs"] = "2" }, Ranks: 2));
        using var serve = Serve(t.Home);
        try
        {
            var done = WaitFor(store, id, r => r.IsFinal, 120);
            var log = File.ReadAllText(Path.Combine(store.RunDir(id), "log.txt"));
            done.State.ShouldBe(JobState.Succeeded, log);
            done.Epoch.ShouldBe(2);
            done.TestElbo.ShouldNotBeNull();
            (done.Bound, done.Penalty).ShouldBe(("ELBO", "KL")); // read from rank 0's epoch line
            log.ShouldContain("2 ranks");                    // the launcher's line and the final one
            log.ShouldContain("epoch 2/2:");
            File.ReadAllLines(TestHome.MetricsPath(store.RunDir(id))).Length.ShouldBe(3);
        }
        finally { serve.Kill(entireProcessTree: true); serve.WaitForExit(); }
    }

    [Fact]
    public void Cancelling_a_ranked_job_ends_every_rank()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        var id = store.Submit(new JobSpec("vae", new Dictionary<string, string>(Small) { ["epochs"] = "500" }, Ranks: 2));
        using var serve = Serve(t.Home);
        try
        {
            WaitFor(store, id, r => r.Epoch >= 1, 120).Epoch.ShouldBeGreaterThanOrEqualTo(1);
            store.Cancel(id);
            WaitFor(store, id, r => r.IsFinal, 60).State.ShouldBe(JobState.Cancelled);
            // No rank outlives the cancel: the run lock (rank 0's) is free again.
            using var freed = Zoo.Core.FolderLock.TryAcquire(store.RunDir(id), Zoo.Core.FolderLock.Run, out var holder);
            freed.ShouldNotBeNull($"the run lock is still held by PID {holder}");
        }
        finally { serve.Kill(entireProcessTree: true); serve.WaitForExit(); }
    }

    [Fact]
    public void A_job_file_s_ranks_are_checked()
    {
        JobStore.ParseSpec("""{"model": "vae", "ranks": 3}""").Ranks.ShouldBe(3);
        JobStore.ParseSpec("""{"model": "vae"}""").Ranks.ShouldBe(1);
        Should.Throw<InvalidDataException>(() => JobStore.ParseSpec("""{"model": "vae", "ranks": "two"}"""))
            .Message.ShouldBe("ranks = \"two\": expected a whole number of ranks, 1 to 64");
    }
}
