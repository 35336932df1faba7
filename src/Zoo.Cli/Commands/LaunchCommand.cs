using System.Diagnostics;
using System.Globalization;
using Zoo.Torch.Distributed;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo launch --nproc N -- train MODEL ...`: N ranks of a data-parallel run on this machine, like
/// `torchrun --standalone`: a free loopback port for the rendezvous, torchrun's variables for each rank, the cores
/// shared out as intra-op threads. Rank 0's output comes through; an error line several ranks print alike is printed
/// once. When a rank fails, the others get the group's timeout to end by themselves (and say which rank was lost).
/// </summary>
internal static class LaunchCommand
{
    public static int Run(int nproc, TimeSpan? timeout, string[] command, TextWriter stdout, TextWriter stderr)
    {
        if (nproc < 1) throw new ArgumentException($"--nproc = {nproc} must be at least 1");
        if (command.Length == 0 || command[0] != "train")
            throw new ArgumentException("zoo launch starts ranks of `zoo train`: zoo launch --nproc N -- train MODEL [key=value ...]");
        var port = LaunchSettings.FreeLoopbackPort();
        // Each rank gets an even share of the cores unless the user chose a thread count.
        var threads = Environment.GetEnvironmentVariable("ZOO_NUM_THREADS") ?? Environment.GetEnvironmentVariable("OMP_NUM_THREADS")
            ?? Math.Max(1, Environment.ProcessorCount / nproc).ToString(CultureInfo.InvariantCulture);
        var grace = (timeout ?? LaunchSettings.DefaultTimeout) + TimeSpan.FromSeconds(10);

        var printed = new HashSet<string>();
        var gate = new object();
        void Forward(TextWriter to, string? line, bool once)
        {
            if (line is null) return;
            lock (gate)
                if (!once || printed.Add(line)) { to.WriteLine(line); to.Flush(); }
        }

        var ranks = new List<Process>();
        try
        {
            for (int rank = 0; rank < nproc; rank++)
            {
                var (host, prefix) = Self();
                var psi = new ProcessStartInfo(host) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
                foreach (var a in prefix.Concat(command)) psi.ArgumentList.Add(a);
                psi.Environment["MASTER_ADDR"] = "127.0.0.1";
                psi.Environment["MASTER_PORT"] = port.ToString(CultureInfo.InvariantCulture);
                psi.Environment["RANK"] = psi.Environment["LOCAL_RANK"] = rank.ToString(CultureInfo.InvariantCulture);
                psi.Environment["WORLD_SIZE"] = psi.Environment["LOCAL_WORLD_SIZE"] = nproc.ToString(CultureInfo.InvariantCulture);
                psi.Environment["ZOO_NUM_THREADS"] = threads;
                if (timeout is { } t) psi.Environment[LaunchSettings.TimeoutVariable] = t.TotalSeconds.ToString(CultureInfo.InvariantCulture);
                var p = new Process { StartInfo = psi };
                p.OutputDataReceived += (_, e) => Forward(stdout, e.Data, once: false);
                p.ErrorDataReceived += (_, e) => Forward(stderr, e.Data, once: true);
                p.Start();
                p.BeginOutputReadLine();
                p.BeginErrorReadLine();
                ranks.Add(p);
            }
            int? failed = null;
            DateTime? deadline = null;
            while (ranks.Any(p => !p.HasExited))
            {
                if (failed is null && ranks.FirstOrDefault(p => p.HasExited && p.ExitCode != 0) is { } first)
                {
                    failed = first.ExitCode;
                    deadline = DateTime.UtcNow + grace;
                }
                if (deadline is { } d && DateTime.UtcNow > d)
                    foreach (var p in ranks.Where(p => !p.HasExited)) p.Kill();
                Thread.Sleep(50);
            }
            foreach (var p in ranks) p.WaitForExit(); // drains the redirected output
            return failed ?? ranks.Select(p => p.ExitCode).FirstOrDefault(c => c != 0);
        }
        finally
        {
            foreach (var p in ranks)
            {
                if (!p.HasExited) p.Kill();
                p.Dispose();
            }
        }
    }

    /// <summary>How to start this `zoo` again: the dotnet host and zoo.dll (also when run as an app host).</summary>
    private static (string Host, string[] Prefix) Self()
    {
        var dll = typeof(ZooCommand).Assembly.Location;
        var process = Environment.ProcessPath;
        var host = process is not null && Path.GetFileNameWithoutExtension(process) == "dotnet" ? process : "dotnet";
        return (host, [dll]);
    }
}
