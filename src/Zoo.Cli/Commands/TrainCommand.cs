using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Zoo.Core.Configuration;
using Zoo.Core.Imaging;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>`zoo train MODEL [key=value ...]`: trains, then writes samples.png and reconstructions.png (and the latent plots for a 2-D latent).</summary>
internal static class TrainCommand
{
    public static int Run(string modelName, string[] settings, string? outDir, bool resume, bool plain, TextWriter stdout)
    {
        using var services = ZooServices.Build();
        var catalog = services.GetRequiredService<PluginCatalog>();
        var plugin = catalog.Model(modelName);
        var overrides = ConfigText.ParseAssignments(settings);
        var runDir = outDir ?? Path.Combine("runs", modelName);
        var config = resume ? ResumedConfig(plugin, runDir, overrides) : plugin.Config.Bind(overrides, $"{modelName} config");
        var cfg = (ITrainingConfig)config;

        stdout.WriteLine($"zoo train {modelName}: {cfg.Dataset} ({cfg.Binarization.ToString().ToLowerInvariant()}), {cfg.Epochs} epochs, batch {cfg.BatchSize}, " +
                         $"Adam {cfg.LearningRate.ToString(CultureInfo.InvariantCulture)}, seed {cfg.Seed}; libtorch {version}, {get_num_threads()} threads → {runDir}");
        var changed = plugin.Config.Values(config).Where(kv => plugin.Config.Keys.First(k => k.Name == kv.Key).Default != kv.Value);
        stdout.WriteLine($"  config: {string.Join(" ", changed.Select(kv => $"{kv.Key}={kv.Value}").DefaultIfEmpty("(defaults)"))}");

        var trainer = new Trainer(plugin, config);
        IReadOnlyList<string> pictures = [];
        var writePictures = WritePictures(runDir, stdout, written => pictures = written);
        TrainingResult result;
        if (!plain && ReferenceEquals(stdout, Console.Out) && !Console.IsOutputRedirected && AnsiConsole.Profile.Capabilities.Interactive)
        {
            result = null!;
            AnsiConsole.Progress().AutoClear(true).HideCompleted(true)
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
                .Start(ctx => result = trainer.Run(runDir, resume, new ProgressObserver(ctx), writePictures));
        }
        else
            result = trainer.Run(runDir, resume, new LogObserver(stdout), writePictures);

        var last = result.Metrics[^1];
        stdout.WriteLine($"done in {result.Elapsed.TotalSeconds:F1} s: test ELBO {last.TestElbo:F2} nats (reconstruction {last.TestReconstruction:F2}, KL {last.TestKl:F2}); " +
                         $"wrote {runDir}/{string.Join(", ", ["metrics.csv", "curves.png", .. pictures, "checkpoint/"])}");
        return 0;
    }

    /// <summary>The checkpoint's config with the overrides applied; only the number of epochs may change.</summary>
    private static object ResumedConfig(IModelPlugin plugin, string runDir, IReadOnlyList<KeyValuePair<string, string>> overrides)
    {
        var state = CheckpointState.Load(CheckpointState.Locate(runDir));
        if (state.Model != plugin.Name)
            throw new ArgumentException($"{runDir} holds a '{state.Model}' run, not '{plugin.Name}'");
        var saved = plugin.Config.FromJson(state.ConfigJson, CheckpointState.StatePath(CheckpointState.Locate(runDir)));
        var values = plugin.Config.Values(saved).ToDictionary();
        foreach (var (key, value) in overrides)
        {
            if (key != "epochs" && values.TryGetValue(key, out var old) && old != value)
                throw new ArgumentException($"--resume: {key} is {old} in {runDir}'s checkpoint; only epochs may change when resuming");
            values[key] = value;
        }
        return plugin.Config.Bind(values, $"{plugin.Name} config");
    }

    private static Action<IVaeModel, TrainingData> WritePictures(string runDir, TextWriter stdout, Action<IReadOnlyList<string>> written) => (model, data) =>
    {
        var files = RunPictures.Write(model, data, runDir);
        written(files);
        if (files.Contains("manifold.png"))
            stdout.WriteLine($"wrote {runDir}/latent.png (test means by label) and manifold.png (decoded over [-3,3]²)");
    };

    private static string Line(EpochMetrics m, int epochs) => string.Create(CultureInfo.InvariantCulture,
        $"epoch {m.Epoch}/{epochs}: train ELBO {m.TrainElbo:F2} (rec {m.TrainReconstruction:F2}, KL {m.TrainKl:F2}) | " +
        $"test ELBO {m.TestElbo:F2} (rec {m.TestReconstruction:F2}, KL {m.TestKl:F2}) | {m.Seconds:F1} s | active units {m.ActiveUnits} | live tensors {m.LiveTensors}");

    /// <summary>Plain log lines, for redirected output and CI logs.</summary>
    private sealed class LogObserver(TextWriter stdout) : ITrainingObserver
    {
        private int epochs;
        public void EpochStarted(int epoch, int epochs, int batches) => this.epochs = epochs;
        public void BatchDone(int epoch, int batch, double loss) { }
        public void EpochDone(EpochMetrics m) { stdout.WriteLine(Line(m, epochs)); stdout.Flush(); }
        public void Warning(string message) { stdout.WriteLine($"warning: {message}"); stdout.Flush(); }
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
    }
}
