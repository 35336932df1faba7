using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Torch;
using Zoo.Core;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo bench vae`: seed 003's set-up (bernoulli-vae, 784-500-500-20, softplus, Adam 1e-3, batch 100, thresholded
/// MNIST) for N epochs through the real trainer; prints seconds per epoch (optimisation steps alone, as the
/// PyTorch peer bench/pytorch_vae.py times them), test ELBO per epoch and the live-tensor count.
/// </summary>
internal static class VaeBenchmark
{
    public static int Run(int epochs, string? jsonPath, TextWriter stdout)
    {
        if (epochs < 1) throw new ArgumentException($"--epochs must be at least 1, found {epochs}");
        using var services = ZooServices.Build();
        var run = RunConfig.Bind("bernoulli-vae", [new("epochs", epochs.ToString(CultureInfo.InvariantCulture))], services.GetRequiredService<PluginCatalog>());
        var dir = Path.Combine(Path.GetTempPath(), $"zoo-bench-vae-{Environment.ProcessId}");
        stdout.WriteLine($"zoo bench vae: bernoulli-vae 784-500-500-20 softplus, thresholded MNIST, batch 100, Adam 1e-3; {Threading.Engine}");
        Threading.WriteBlasNote(stdout);
        try
        {
            var result = run.Train(dir, resume: false, callbacks: []); // the loop alone: no files, no diagnostics
            foreach (var m in result.Metrics)
                stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"epoch {m.Epoch}: {m.TrainSeconds:F2} s  test ELBO {m.TestElbo:F2}  (rec {m.TestReconstruction:F2}, KL {m.TestKl:F2})  live tensors {m.LiveTensors}"));
            var secs = result.Metrics.Select(m => m.TrainSeconds).Order().ToList();
            var median = secs[secs.Count / 2];
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture, $"zoo: median {median:F2} s/epoch, test ELBO after {epochs} epochs {result.Metrics[^1].TestElbo:F2}"));
            if (jsonPath is not null)
                AtomicFile.WriteAllText(jsonPath, JsonSerializer.Serialize(new
                {
                    impl = "zoo", threads = get_num_threads(), median_epoch_seconds = median,
                    epochs = result.Metrics.Select(m => new { m.Epoch, seconds = m.TrainSeconds, test_elbo = m.TestElbo, m.LiveTensors }),
                }));
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        }
        return 0;
    }
}
