using System.Diagnostics;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Zoo.Cli;
using Zoo.Core.Training;
using Zoo.Hosting.Jobs;

namespace Zoo.Hosting.Tests;

[Collection("jobs")]
public class JobServiceTests
{
    private static IHost Start(ZooHome home)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddZoo(home, NullLogger.Instance);
        builder.Services.AddZooJobService(o => o.PollInterval = TimeSpan.FromMilliseconds(100));
        var host = builder.Build();
        host.Start();
        return host;
    }

    /// <summary>What Ctrl+C / SIGTERM does: stop the host, waiting for running jobs to checkpoint.</summary>
    private static void Stop(IHost host) => host.StopAsync().GetAwaiter().GetResult();

    private static JobRecord WaitFor(JobStore store, string id, Func<JobRecord, bool> done, int seconds = 120)
    {
        var sw = Stopwatch.StartNew();
        while (sw.Elapsed.TotalSeconds < seconds)
        {
            if (store.Find(id) is { } r && done(r)) return r;
            Thread.Sleep(50);
        }
        throw new TimeoutException($"job {id}: {store.Find(id)?.State.ToString() ?? "no record"} after {seconds} s");
    }

    private static readonly Dictionary<string, string> Tiny = new()
    {
        ["dataset.train-limit"] = "600", ["dataset.test-limit"] = "200", ["encoder.hidden"] = "32", ["decoder.hidden"] = "32",
        ["latent"] = "2", ["epochs"] = "2", ["batch-size"] = "50",
    };

    [Fact]
    public void A_job_goes_from_the_inbox_to_succeeded_with_metrics_pictures_and_a_checkpoint()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        var id = store.Submit(new JobSpec("bernoulli-vae", Tiny));
        File.WriteAllText(Path.Combine(t.Home.Inbox, "broken.json"), "{ not json");
        var unknown = store.Submit(new JobSpec("vq-vae", new Dictionary<string, string>()));
        var queued = store.Submit(new JobSpec("bernoulli-vae", Tiny));
        store.Inbox().Count.ShouldBe(4);
        using var host = Start(t.Home);
        try
        {
            var done = WaitFor(store, id, r => r.IsFinal);
            (done.State, done.Epoch, done.Attempts).ShouldBe((JobState.Succeeded, 2, 1));
            done.TestElbo.ShouldNotBeNull();
            (done.Bound, done.Penalty).ShouldBe(("ELBO", "KL"));
            foreach (var f in new[] { "metrics.csv", "curves.png", "samples.png", "reconstructions.png", "latent.png", "manifold.png", "checkpoint/state.json" })
                File.Exists(Path.Combine(store.RunDir(id), f)).ShouldBeTrue(f);
            File.ReadAllText(store.LogPath(id)).ShouldContain("succeeded: test ELBO");
            // Failing jobs are recorded with a reason; the service goes on.
            WaitFor(store, "broken", r => r.IsFinal).Reason.ShouldStartWith(Path.Combine(t.Home.Inbox, "broken.json") + ": not a job file");
            WaitFor(store, unknown, r => r.IsFinal).Reason.ShouldBe("unknown model 'vq-vae' (available: bernoulli-vae, gaussian-vae, iwae, vae, vfae, wae-mmd)");
            WaitFor(store, queued, r => r.IsFinal).State.ShouldBe(JobState.Succeeded);
            store.Inbox().ShouldBeEmpty();
        }
        finally { Stop(host); }
    }

    [Fact]
    public void A_job_composes_a_vae_with_a_dropped_in_prior_and_a_bad_config_fails_with_every_problem()
    {
        using var t = new TestHome();
        t.InstallMixturePrior();
        var store = new JobStore(t.Home);
        var id = store.Submit(new JobSpec("vae", new Dictionary<string, string>(Tiny)
            { ["prior"] = "gaussian-mixture", ["prior.components"] = "4", ["kl"] = "monte-carlo", ["epochs"] = "1" }));
        // A typo in a part's key fails the job, naming the key with its part.
        var bad = store.Submit(new JobSpec("vae", new Dictionary<string, string>(Tiny) { ["prior"] = "gaussian-mixture", ["encoder.hiden"] = "5" }));
        using var host = Start(t.Home);
        try
        {
            var done = WaitFor(store, id, r => r.IsFinal);
            (done.State, done.Epoch).ShouldBe((JobState.Succeeded, 1), done.Reason);
            var config = File.ReadAllText(Path.Combine(store.RunDir(id), "config.json"));
            config.ShouldContain("\"gaussian-mixture\"");
            File.ReadAllLines(TestHome.MetricsPath(store.RunDir(id))).Length.ShouldBe(2);
            var failed = WaitFor(store, bad, r => r.IsFinal);
            failed.State.ShouldBe(JobState.Failed);
            failed.Reason!.ShouldContain("unknown key 'encoder.hiden' (did you mean 'encoder.hidden'?)");
        }
        finally { Stop(host); }
    }

    [Fact]
    public void A_plugin_installed_while_the_service_runs_is_loaded_and_its_job_runs()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        using var host = Start(t.Home);
        try
        {
            Thread.Sleep(300); // the service is up and has looked at HOME/plugins
            t.InstallMixturePrior();
            var id = store.Submit(new JobSpec("vae", new Dictionary<string, string>(Tiny)
                { ["prior"] = "gaussian-mixture", ["prior.components"] = "3", ["kl"] = "monte-carlo", ["epochs"] = "1" }));
            var done = WaitFor(store, id, r => r.IsFinal);
            done.State.ShouldBe(JobState.Succeeded, done.Reason);
            File.ReadAllText(Path.Combine(store.RunDir(id), "config.json")).ShouldContain("\"gaussian-mixture\"");
        }
        finally { Stop(host); }
    }

    [Fact]
    public void A_cancelled_job_stops_at_a_batch_and_is_recorded_cancelled()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        var id = store.Submit(new JobSpec("bernoulli-vae", new Dictionary<string, string>(Tiny) { ["dataset.train-limit"] = "20000", ["epochs"] = "50" }));
        using var host = Start(t.Home);
        try
        {
            WaitFor(store, id, r => r.State == JobState.Running);
            store.RequestCancel(id);
            var r = WaitFor(store, id, r => r.IsFinal, 30);
            (r.State, r.Reason).ShouldBe((JobState.Cancelled, "cancelled by request"));
        }
        finally { Stop(host); }
    }

    [Fact]
    public void Stopping_the_service_mid_job_checkpoints_and_a_restart_reaches_the_uninterrupted_metrics()
    {
        var spec = new JobSpec("bernoulli-vae", new Dictionary<string, string>(Tiny)
        {
            ["dataset.train-limit"] = "12000", ["encoder.hidden"] = "128", ["decoder.hidden"] = "128", ["epochs"] = "3",
            ["dataset.binarize"] = "stochastic", ["kl"] = "monte-carlo",
        });
        using var a = new TestHome();
        using var b = new TestHome();
        var (storeA, storeB) = (new JobStore(a.Home), new JobStore(b.Home));
        var idA = storeA.Submit(spec);
        var idB = storeB.Submit(spec);

        using (var host = Start(a.Home))
        {
            WaitFor(storeA, idA, r => r.IsFinal).State.ShouldBe(JobState.Succeeded);
            Stop(host);
        }
        using (var host = Start(b.Home))
        {
            WaitFor(storeB, idB, r => r.State == JobState.Running && r.Epoch >= 1);
            Stop(host); // what Ctrl+C / SIGTERM does
        }
        var stopped = storeB.Find(idB)!;
        stopped.State.ShouldBe(JobState.Interrupted);
        stopped.Reason!.ShouldMatch(@"stopped at epoch \d, batch \d+ of 240; checkpointed");
        CheckpointState.Load(CheckpointState.Locate(storeB.RunDir(idB))).Partial.ShouldNotBeNull();
        using (var host = Start(b.Home))
        {
            var r = WaitFor(storeB, idB, r => r.IsFinal);
            (r.State, r.Attempts).ShouldBe((JobState.Succeeded, 2));
            Stop(host);
        }
        static string[] Figures(string runDir) => File.ReadAllLines(TestHome.MetricsPath(runDir))
            .Select(l => string.Join(",", l.Split(',').Take(8))).ToArray(); // every figure except the timings
        Figures(storeB.RunDir(idB)).ShouldBe(Figures(storeA.RunDir(idA)));
        File.ReadAllText(storeB.LogPath(idB)).ShouldContain("resuming from the checkpoint");
    }
}
