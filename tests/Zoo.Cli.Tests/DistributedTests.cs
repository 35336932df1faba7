using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using Zoo.Core.Training;
using Zoo.Torch;
using Zoo.Torch.Distributed;

namespace Zoo.Cli.Tests;

/// <summary>
/// Data-parallel `zoo train` as separate processes: `zoo launch`, the torchrun variables set by hand, a rank killed
/// mid-epoch, and launch settings that cannot work, each ending in one line. In the "cli" collection: some tests set
/// the launch variables in this process's environment.
/// </summary>
[Collection("cli")]
public class DistributedTests
{
    private static readonly string[] Small =
        ["dataset.train-limit=400", "dataset.test-limit=120", "encoder.hidden=48", "decoder.hidden=48", "batch-size=50"];

    private static string TempDir() => Path.Combine(Path.GetTempPath(), "zoo-dist-" + Guid.NewGuid().ToString("N")[..8]);

    /// <summary>Runs the zoo command in this process with launch variables set, then clears them.</summary>
    private static (int Code, string Out, string Err) ZooWith(Dictionary<string, string> env, params string[] args)
    {
        foreach (var (k, v) in env) Environment.SetEnvironmentVariable(k, v);
        try { return CliTests.Zoo(args); }
        finally { foreach (var k in env.Keys) Environment.SetEnvironmentVariable(k, null); }
    }

    /// <summary>Runs zoo as its own process (so libtorch's own writes to stderr are seen too) with launch variables set.</summary>
    private static (int Code, string Out, string Err) ZooProcess(Dictionary<string, string> env, params string[] args)
    {
        var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "zoo.dll"), .. args])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (k, v) in env) psi.Environment[k] = v;
        using var p = Process.Start(psi)!;
        var output = p.StandardOutput.ReadToEndAsync();
        var errors = p.StandardError.ReadToEnd();
        p.WaitForExit();
        return (p.ExitCode, output.Result, errors);
    }

    private static void OneLine((int Code, string Out, string Err) r, string contains)
    {
        r.Code.ShouldBe(1, r.Err);
        var line = r.Err.TrimEnd('\n', '\r');
        line.ShouldNotContain("\n");
        line.ShouldStartWith("zoo: error: ");
        line.ShouldContain(contains);
    }

    [Fact]
    public void Zoo_launch_trains_on_two_ranks_and_only_that_many_may_resume_it()
    {
        var dir = TempDir();
        try
        {
            var r = CliTests.Zoo(["launch", "--nproc", "2", "--timeout", "30", "--", "train", "bernoulli-vae", .. Small, "epochs=2", "--out", dir]);
            r.Code.ShouldBe(0, r.Err);
            r.Out.ShouldContain("data-parallel: 2 ranks (torchrun, rendezvous 127.0.0.1:");
            r.Out.ShouldContain("epoch 2/2");
            File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Length.ShouldBe(3);
            CheckpointState.Load(Path.Combine(dir, "checkpoint")).WorldSize.ShouldBe(2);

            OneLine(CliTests.Zoo(["train", "bernoulli-vae", "epochs=3", "--resume", "--out", dir]),
                "the checkpoint was written by 2 ranks; resume it with 2 ranks, not one process");
            OneLine(CliTests.Zoo(["launch", "--nproc", "3", "--timeout", "30", "--", "train", "bernoulli-vae", "epochs=3", "--resume", "--out", dir]),
                "the checkpoint was written by 2 ranks; resume it with 2 ranks, not 3 ranks");
            var resumed = CliTests.Zoo(["launch", "--nproc", "2", "--timeout", "30", "--", "train", "bernoulli-vae", "epochs=3", "--resume", "--out", dir]);
            resumed.Code.ShouldBe(0, resumed.Err);
            File.ReadAllLines(Path.Combine(dir, "metrics.csv")).Length.ShouldBe(4);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public async Task A_killed_rank_ends_the_other_within_the_timeout_naming_it_and_the_checkpoint_stays_intact()
    {
        var dir = TempDir();
        var port = LaunchSettings.FreeLoopbackPort();
        Process Rank(int rank)
        {
            var psi = new ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "zoo.dll"), "train", "bernoulli-vae", .. Small,
                "epochs=1000", "--out", dir]) { RedirectStandardOutput = true, RedirectStandardError = true };
            psi.Environment["MASTER_ADDR"] = "127.0.0.1";
            psi.Environment["MASTER_PORT"] = port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            psi.Environment["RANK"] = rank.ToString(System.Globalization.CultureInfo.InvariantCulture);
            psi.Environment["WORLD_SIZE"] = "2";
            psi.Environment["ZOO_DIST_TIMEOUT"] = "20";
            psi.Environment["ZOO_NUM_THREADS"] = "1";
            return Process.Start(psi)!;
        }
        using var rank0 = Rank(0);
        using var rank1 = Rank(1);
        var errors = rank0.StandardError.ReadToEndAsync();
        _ = rank0.StandardOutput.ReadToEndAsync();
        try
        {
            var state = Path.Combine(dir, "checkpoint", "state.json");
            var wait = Stopwatch.StartNew();
            while (!(File.Exists(state) && CheckpointState.Load(Path.Combine(dir, "checkpoint")).Epoch >= 2) && wait.Elapsed < TimeSpan.FromSeconds(90))
                Thread.Sleep(20);
            rank0.HasExited.ShouldBeFalse();
            rank1.Kill(); // mid-epoch: an epoch of 8 steps is a few milliseconds, so it dies between checkpoints or during one
            var killed = Stopwatch.StartNew();
            rank0.WaitForExit(TimeSpan.FromSeconds(30)).ShouldBeTrue("rank 0 did not end after rank 1 was killed");
            killed.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20)); // the configured timeout bounds it
            rank0.ExitCode.ShouldNotBe(0);
            var line = (await errors).Trim();
            line.ShouldStartWith("zoo: error: distributed: lost rank 1 of 2 during ");
            line.ShouldNotContain("\n");

            var checkpoint = CheckpointState.Locate(dir);
            var saved = CheckpointState.Load(checkpoint);
            saved.Epoch.ShouldBeGreaterThanOrEqualTo(2);
            saved.Metrics.Count.ShouldBe(saved.Epoch);
            using var model = SafeTensors.Load(CheckpointState.ModelPath(checkpoint));
            model.Tensors.Count.ShouldBeGreaterThan(0);
            using var optimizer = SafeTensors.Load(CheckpointState.OptimizerPath(checkpoint));
            optimizer.Tensors.Count.ShouldBe(2 * model.Tensors.Count);
        }
        finally
        {
            foreach (var p in new[] { rank0, rank1 }) if (!p.HasExited) p.Kill();
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Launch_settings_that_cannot_work_each_end_in_one_line()
    {
        string[] train = ["train", "bernoulli-vae", .. Small, "epochs=1", "--out", TempDir()];
        var port = LaunchSettings.FreeLoopbackPort().ToString(System.Globalization.CultureInfo.InvariantCulture);
        OneLine(ZooWith(new() { ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = port, ["RANK"] = "2", ["WORLD_SIZE"] = "2" }, train),
            "RANK = 2 must be less than WORLD_SIZE = 2 (ranks count from 0)");
        OneLine(ZooWith(new() { ["SLURM_PROCID"] = "4", ["SLURM_NTASKS"] = "4", ["SLURM_JOB_NODELIST"] = "node[01-02]" }, train),
            "SLURM_PROCID = 4 must be less than SLURM_NTASKS = 4");
        OneLine(ZooWith(new() { ["RANK"] = "1", ["WORLD_SIZE"] = "2", ["MASTER_PORT"] = port }, train),
            "WORLD_SIZE = 2 but MASTER_ADDR is not set");

        var unreachable = Stopwatch.StartNew();
        OneLine(ZooProcess(new() { ["MASTER_ADDR"] = "no-such-host.invalid", ["MASTER_PORT"] = port, ["RANK"] = "1", ["WORLD_SIZE"] = "2", ["ZOO_DIST_TIMEOUT"] = "3" }, train),
            $"distributed: rank 1 could not reach the rendezvous at no-such-host.invalid:{port} within 3 s");
        unreachable.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(30));

        using var taken = new TcpListener(IPAddress.Any, 0);
        taken.Start();
        var busy = ((IPEndPoint)taken.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        OneLine(ZooProcess(new() { ["MASTER_ADDR"] = "127.0.0.1", ["MASTER_PORT"] = busy, ["RANK"] = "0", ["WORLD_SIZE"] = "2", ["ZOO_DIST_TIMEOUT"] = "3" }, train),
            $"distributed: rank 0 could not open the rendezvous on port {busy}");
    }

    [Theory]
    [InlineData("node[01-04,07],gpu1", "node01")]
    [InlineData("a1,a2", "a1")]
    [InlineData("login", "login")]
    [InlineData("rack-[3,5]", "rack-3")]
    public void Slurm_s_first_host_is_the_rendezvous(string nodeList, string first) =>
        Zoo.Torch.Distributed.LaunchSettings.FirstSlurmHost(nodeList).ShouldBe(first);
}
