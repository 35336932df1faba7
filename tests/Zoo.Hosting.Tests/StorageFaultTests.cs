using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Zoo.Cli;
using Zoo.Core;
using Zoo.Hosting.Jobs;

namespace Zoo.Hosting.Tests;

/// <summary>
/// Storage faults injected for real: the home is a small tmpfs that the test fills up or remounts read-only while a
/// job trains, then mends. The job pauses, the service goes on, and once the cause is gone every job finishes with
/// the metrics of an uninterrupted run, each run once. Needs root (mount); CI and these machines run as root.
/// </summary>
[Collection("jobs")]
public class StorageFaultTests
{
    private static readonly Dictionary<string, string> Job = new()
    {
        ["dataset.train-limit"] = "3000", ["dataset.test-limit"] = "300", ["encoder.hidden"] = "64", ["decoder.hidden"] = "64",
        ["latent"] = "2", ["epochs"] = "5", ["batch-size"] = "50",
    };

    private sealed class Captured : ILoggerProvider
    {
        public ListLogger Logger { get; } = new();
        public ILogger CreateLogger(string category) => Logger;
        public void Dispose() { }
    }

    private static (IHost Host, ListLogger Log) Start(ZooHome home)
    {
        var captured = new Captured();
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Logging.AddProvider(captured);
        builder.Services.AddZoo(home, NullLogger.Instance);
        builder.Services.AddZooJobService(o => (o.PollInterval, o.RetryInterval) = (TimeSpan.FromMilliseconds(100), TimeSpan.FromSeconds(1)));
        var host = builder.Build();
        host.Start();
        return (host, captured.Logger);
    }

    private static void Until(Func<bool> done, string what, int seconds = 120, ListLogger? log = null)
    {
        var sw = Stopwatch.StartNew();
        while (!done())
        {
            if (sw.Elapsed.TotalSeconds > seconds)
                throw new TimeoutException($"{what} did not happen in {seconds} s" + (log is null ? "" : "; the service said:\n" + string.Join('\n', log.Snapshot().TakeLast(30))));
            Thread.Sleep(25);
        }
    }

    private static void Sh(string command, params string[] args)
    {
        var p = Process.Start(new ProcessStartInfo(command, args) { RedirectStandardError = true })!;
        var err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, $"{command} {string.Join(' ', args)}: {err}");
    }

    /// <summary>A tmpfs of 64 MiB as the home, unmounted at the end.</summary>
    private sealed class TmpfsHome : IDisposable
    {
        public ZooHome Home { get; } = new(Path.Combine(Path.GetTempPath(), "zoo-tmpfs-" + Guid.NewGuid().ToString("N")[..8]));

        public TmpfsHome()
        {
            Directory.CreateDirectory(Home.Root);
            Sh("mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", Home.Root);
        }

        public void Dispose()
        {
            Process.Start("umount", ["-l", Home.Root])!.WaitForExit();
            try { Directory.Delete(Home.Root, true); } catch (IOException) { }
        }
    }

    /// <summary>The kernel refuses while a file is open for writing ("busy"): the job writes in bursts, so try between them.</summary>
    private static void RemountReadOnly(string folder)
    {
        for (var attempt = 1; ; attempt++)
        {
            using var p = Process.Start(new ProcessStartInfo("mount", ["-o", "remount,ro", folder]) { RedirectStandardError = true })!;
            var err = p.StandardError.ReadToEnd();
            p.WaitForExit();
            if (p.ExitCode == 0) return;
            if (attempt == 200) throw new InvalidOperationException($"remount,ro {folder}: {err}");
            Thread.Sleep(10);
        }
    }

    /// <summary>Fills the file system of <paramref name="folder"/> to the last byte; returns the filler to delete.</summary>
    private static string FillDisk(string folder)
    {
        var filler = Path.Combine(folder, "filler");
        using var fs = new FileStream(filler, FileMode.Create, FileAccess.Write, FileShare.None, 1);
        var chunk = new byte[1 << 20];
        foreach (var size in new[] { 1 << 20, 4096, 1 })
            try { while (true) fs.Write(chunk, 0, size); } catch (IOException) { }
        return filler;
    }

    /// <summary>Metrics rows without the timing columns (seconds and live tensors vary run to run).</summary>
    private static string[] Figures(string runDir) =>
        File.ReadAllLines(TestHome.MetricsPath(runDir)).Select(l => string.Join(',', l.Split(',').Take(8))).ToArray();

    private static string[] Reference()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        var id = store.Submit(new JobSpec("bernoulli-vae", Job));
        var (host, _) = Start(t.Home);
        using (host)
        {
            Until(() => store.Find(id) is { IsFinal: true }, "the reference job");
            Stop(host);
        }
        store.Find(id)!.State.ShouldBe(JobState.Succeeded);
        return Figures(store.RunDir(id));
    }

    private static bool IsRoot() => Environment.UserName == "root";

    [Theory]
    [InlineData("full disk")]
    [InlineData("read-only home")]
    public void A_storage_fault_pauses_the_job_and_once_mended_every_job_finishes_with_the_uninterrupted_metrics(string fault)
    {
        if (!IsRoot()) return; // mount needs root; CI runs as root
        var expected = Reference();
        using var t = new TmpfsHome();
        var store = new JobStore(t.Home);
        var first = store.Submit(new JobSpec("bernoulli-vae", Job));
        var (host, log) = Start(t.Home);
        using (host)
        {
            Until(() => store.Find(first) is { Epoch: >= 1 }, "epoch 1");
            // A second job arrives while the disk is bad: its inbox file must wait, not vanish or be listed twice.
            var second = store.Submit(new JobSpec("bernoulli-vae", Job));
            string? filler = null;
            if (fault == "full disk") filler = FillDisk(t.Home.Root);
            else RemountReadOnly(t.Home.Root);
            Until(() => log.Snapshot().Any(l => l.Contains($"Job {first} paused: {(fault == "full disk" ? "no space left on device" : "read-only file system")}")),
                "the pause");
            Thread.Sleep(1500); // at least one retry meets the fault again
            store.Find(first)!.IsFinal.ShouldBeFalse();
            if (filler is not null) File.Delete(filler);
            else Sh("mount", "-o", "remount,rw", t.Home.Root);

            Until(() => store.Find(first) is { IsFinal: true } && store.Find(second) is { IsFinal: true }, "both jobs to finish", log: log);
            host.Services.GetServices<IHostedService>().OfType<JobService>().Single().Faulted.ShouldBeNull();
            foreach (var id in new[] { first, second })
            {
                var record = store.Find(id)!;
                record.State.ShouldBe(JobState.Succeeded, record.Reason);
                Figures(store.RunDir(id)).ShouldBe(expected);
            }
            store.Inbox().ShouldBeEmpty();
            store.All().Count.ShouldBe(2);
            File.ReadAllText(store.LogPath(first)).ShouldContain("resuming from the checkpoint");
            Directory.EnumerateFileSystemEntries(t.Home.Root, "*.tmp-*", SearchOption.AllDirectories).ShouldBeEmpty();
            Stop(host);
        }
    }

    [Fact]
    public void A_job_claimed_by_another_process_is_left_to_it_and_runs_once_released()
    {
        using var t = new TestHome();
        var store = new JobStore(t.Home);
        var id = store.Submit(new JobSpec("bernoulli-vae", new Dictionary<string, string>(Job) { ["epochs"] = "1" }));
        var now = DateTimeOffset.UtcNow;
        // A record that says running, as a live worker leaves it: the service must not "recover" it and train it again.
        var live = new JobRecord("live", new JobSpec("bernoulli-vae", Job), JobState.Running, now, now, Started: now, Attempts: 1);
        store.Save(live);
        var otherWorker = FolderLock.TryAcquire(store.RunDir(id), FolderLock.Run, out _).ShouldNotBeNull();
        var liveWorker = FolderLock.TryAcquire(store.RunDir("live"), FolderLock.Run, out _).ShouldNotBeNull();
        var (host, log) = Start(t.Home);
        using (host)
        {
            Until(() => log.Snapshot().Any(l => l.Contains($"Job {id} is being trained by another process (PID {Environment.ProcessId})")), "the claim refused");
            log.Snapshot().ShouldContain(l => l.Contains("Job live is being trained by another process"));
            Thread.Sleep(500);
            store.Find(id)!.State.ShouldBe(JobState.Queued);
            (store.Find("live")!.State, store.Find("live")!.Attempts, store.Find("live")!.Updated).ShouldBe((live.State, live.Attempts, live.Updated));
            otherWorker.Dispose();
            Until(() => store.Find(id) is { IsFinal: true }, "the job after its release");
            (store.Find(id)!.State, store.Find(id)!.Attempts).ShouldBe((JobState.Succeeded, 1));
            store.Find("live")!.State.ShouldBe(JobState.Running);
            Stop(host);
        }
        liveWorker.Dispose();
    }

    [Fact]
    public void A_trainer_refuses_a_run_folder_another_process_trains_in()
    {
        using var t = new TestHome();
        var dir = Path.Combine(t.Home.Root, "run");
        using (FolderLock.AcquireRun(dir))
            Should.Throw<IOException>(() => FolderLock.AcquireRun(dir)).Message
                .ShouldBe($"{dir} is being trained by another process (PID {Environment.ProcessId}); wait for it to finish or stop it");
        using var again = FolderLock.AcquireRun(dir); // released on dispose
    }

    [Fact]
    public void Temp_files_of_dead_processes_are_removed_at_start_and_those_of_live_ones_kept()
    {
        using var t = new TestHome();
        using var alive = Process.Start("sleep", "60")!;
        var run = Path.Combine(t.Home.Runs, "job");
        Directory.CreateDirectory(Path.Combine(run, "checkpoint.tmp-999999"));
        File.WriteAllText(Path.Combine(run, "checkpoint.tmp-999999", "model.safetensors"), "half");
        var dead = new[]
        {
            Path.Combine(run, "job.json.tmp-999999"), Path.Combine(run, "metrics.csv.tmp-999998"),
            Path.Combine(run, "model.safetensors.tmp-999997-" + Guid.NewGuid().ToString("N")), Path.Combine(t.Home.Inbox, "x.json.tmp-999999"),
        };
        var kept = new[] { Path.Combine(run, $"log.txt.tmp-{alive.Id}"), Path.Combine(run, "notes.tmp-x"), Path.Combine(run, "tmp-999999") };
        foreach (var f in dead.Concat(kept)) { Directory.CreateDirectory(Path.GetDirectoryName(f)!); File.WriteAllText(f, "x"); }

        StaleTemps.Remove(t.Home.Root, depth: 2).Order().ShouldBe(dead.Append(Path.Combine(run, "checkpoint.tmp-999999")).Order());
        foreach (var f in kept) File.Exists(f).ShouldBeTrue(f);
        alive.Kill();
    }

    private static void Stop(IHost host) => host.StopAsync().GetAwaiter().GetResult();
}
