using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Torch;
using Zoo.Torch.Distributed;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>`zoo train MODEL [key=value ...]`: binds the run (model, data, training), trains it with every callback registered (metrics, curves, pictures, diagnostics).</summary>
internal static class TrainCommand
{
    public static int Run(string modelName, string[] settings, string? outDir, bool resume, bool plain, TextWriter stdout)
    {
        // Launched as one rank of several (zoo launch, torchrun, Slurm, a PyTorchJob): only rank 0 prints and writes.
        var launch = LaunchSettings.FromEnvironment();
        if (launch is { Rank: > 0 }) stdout = TextWriter.Null;
        using var services = ZooServices.Build();
        var catalog = services.GetRequiredService<PluginCatalog>();
        var overrides = ConfigText.ParseAssignments(settings);
        var runDir = outDir ?? Path.Combine("runs", modelName);
        var run = resume ? RunConfig.Resumed(runDir, modelName, overrides, catalog) : RunConfig.Bind(modelName, overrides, catalog);
        using var ranks = launch is null ? null : ProcessGroup.Connect(launch);

        stdout.WriteLine($"zoo train {modelName}: {run.Dataset.Name}, {run.Epochs} epochs, batch {run.BatchSize}, " +
                         $"Adam {run.LearningRate.ToString(CultureInfo.InvariantCulture)}, seed {run.Seed}; {Threading.Engine} → {runDir}");
        if (launch is not null)
            stdout.WriteLine($"  data-parallel: {launch.WorldSize} ranks ({launch.Launcher}, rendezvous {launch.MasterAddr}:{launch.MasterPort}, " +
                             $"Gloo, timeout {launch.Timeout.TotalSeconds:0} s); batch {run.BatchSize} is split across them");
        Threading.WriteBlasNote(stdout);
        stdout.WriteLine($"  config: {string.Join(" ", run.Values().Where(kv => kv.Key != "model").Select(kv => $"{kv.Key}={kv.Value}"))}");

        TrainingResult result;
        if (!plain && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            result = null!;
            AnsiConsole.Progress().AutoClear(true).HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx => result = run.Train(runDir, resume, catalog.Callbacks(), new ProgressObserver(ctx), ranks: ranks));
        }
        else
            result = run.Train(runDir, resume, catalog.Callbacks(), new LogObserver(stdout), ranks: ranks);

        var last = result.Metrics[^1];
        var best = Selection.Best(result.Metrics);
        stdout.WriteLine($"done in {result.Elapsed.TotalSeconds:F1} s: test {last.BoundName} {last.TestElbo:F2} nats (reconstruction {last.TestReconstruction:F2}, {last.Penalty} {last.TestKl:F2}); " +
                         $"wrote {runDir}/{string.Join(", ", [.. result.Files, "config.json", "checkpoint/", .. best is null ? Array.Empty<string>() : [$"{Selection.BestFolder}/"]])}");
        if (best is not null)
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"best epoch on validation: {best.Epoch} (validation {best.BoundName} {best.ValidElbo:F2}, test {best.TestElbo:F2}); its weights are in {runDir}/{Selection.BestFolder}/"));
        if (result.Traffic is { Steps: > 0 } t)
        {
            var wait = t.Wait is { } w
                ? FormattableString.Invariant($"(and {w.TotalMilliseconds / t.Steps:F2} ms waiting for the slowest rank before it)")
                : "(waits for the slowest rank included)";
            stdout.WriteLine(FormattableString.Invariant(
                $"  all-reduce (rank 0): {t.MillisecondsPerStep:F2} ms per step over {t.Steps} steps {wait}, {t.BytesPerStep / 1e6:F2} MB of gradients per rank per step in {t.Buckets} buckets, {t.BucketsDuringBackward:F1} of them issued from backward's hooks"));
        }
        return 0;
    }

    private static string Line(EpochMetrics m, int epochs) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {m.Epoch}/{epochs}: train {m.BoundName} {m.TrainElbo:F2} (rec {m.TrainReconstruction:F2}, {m.Penalty} {m.TrainKl:F2}) | ") +
        (m.ValidElbo is { } v ? string.Create(CultureInfo.InvariantCulture, $"validation {m.BoundName} {v:F2} | ") : "") +
        string.Create(CultureInfo.InvariantCulture, $"test {m.BoundName} {m.TestElbo:F2} (rec {m.TestReconstruction:F2}, {m.Penalty} {m.TestKl:F2}) | {m.Seconds:F1} s | active units {m.ActiveUnits} | live tensors {m.LiveTensors}") +
        string.Concat((m.Extra ?? new Dictionary<string, double>()).Select(e => string.Create(CultureInfo.InvariantCulture, $" | {e.Key.Replace('_', ' ')} {e.Value:F4}")));

    /// <summary>Plain log lines, for redirected output and CI logs.</summary>
    private sealed class LogObserver(TextWriter stdout) : ITrainingObserver
    {
        private int epochs;
        public void EpochStarted(int epoch, int epochs, int batches) => this.epochs = epochs;
        public void BatchDone(int epoch, int batch, double loss) { }
        public void EpochDone(EpochMetrics m) { stdout.WriteLine(Line(m, epochs)); stdout.Flush(); }
        public void Warning(string message) { stdout.WriteLine($"warning: {message}"); stdout.Flush(); }
        public void Note(string message) { stdout.WriteLine(message); stdout.Flush(); }
    }

    /// <summary>A Spectre.Console progress bar per epoch, with the epoch's line printed above it when done.</summary>
    private sealed class ProgressObserver(ProgressContext ctx) : ITrainingObserver
    {
        private ProgressTask? task;
        private int epochs;

        public void EpochStarted(int epoch, int epochs, int batches)
        {
            this.epochs = epochs;
            task = ctx.AddTask($"epoch {epoch}/{epochs}", maxValue: batches);
        }

        public void BatchDone(int epoch, int batch, double loss)
        {
            if (task is null) return;
            task.Value = batch;
            if (batch % 20 == 0) task.Description = string.Create(CultureInfo.InvariantCulture, $"epoch {epoch}/{epochs} loss {loss:F2}");
        }

        public void EpochDone(EpochMetrics m)
        {
            task?.StopTask();
            AnsiConsole.WriteLine(Line(m, epochs));
        }

        public void Warning(string message) => AnsiConsole.MarkupLineInterpolated($"[yellow]warning: {message}[/]");
        public void Note(string message) => AnsiConsole.WriteLine(message);
    }
}
