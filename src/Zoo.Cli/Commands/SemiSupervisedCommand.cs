using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core;
using Zoo.Core.Configuration;
using Zoo.Core.Imaging;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Plugins.Vfae.Vfae;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo semisupervised [key=value ...] [--labels 100,600,1000,3000]`: the VFAE on MNIST with the last pixels as s,
/// trained once per label count with the rest of the training images unlabelled (y summed out), scored by the test
/// accuracy of its own classifier q(y|z1) on the posterior mean of z1. Printed beside Pyro's M2 figures and
/// written to semisupervised.md and .csv; each run's folder also gets the accuracy after every epoch (accuracy.csv,
/// accuracy.png) and its pictures (digits generated from z1 ~ N(0, I) with s from test images, by class, and
/// reconstructions).
/// </summary>
internal static class SemiSupervisedCommand
{
    /// <summary>The command's starting point (any key may be overridden): MNIST, no MMD (pixel s form no groups), M2-sized networks.</summary>
    public static readonly string[] Defaults =
        ["dataset=mnist", "mmd=none", "hidden=500", "latent=50", "latent2=50", "alpha=100", "labelled-share=0.3", "epochs=30", "batch-size=100"];

    /// <summary>Pyro's semi-supervised VAE (M2) test accuracies on MNIST, from its examples' README.</summary>
    private static readonly Dictionary<int, double> PyroM2 = new() { [100] = 0.932, [600] = 0.944, [1000] = 0.949, [3000] = 0.958 };

    private sealed record Row(int Labels, double Accuracy, double TestElbo, double Seconds);

    public static int Run(string[] settings, string labelCounts, string outDir, TextWriter stdout)
    {
        var counts = labelCounts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c =>
            int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new ArgumentException($"--labels: expected positive whole numbers separated by commas, found '{c}'")).ToList();
        if (counts.Count == 0) throw new ArgumentException("--labels: expected at least one label count, found none");
        var overrides = ConfigText.ParseAssignments(settings);
        if (overrides.Any(kv => kv.Key == "labels")) throw new ArgumentException("semisupervised sets labels itself; use --labels");
        using var services = ZooServices.Build();
        var plugin = services.GetRequiredService<PluginCatalog>().Model("vfae");
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<Row>();
        var defaults = ConfigText.ParseAssignments(Defaults);
        var described = string.Join(" ", defaults.Concat(overrides).GroupBy(kv => kv.Key).Select(g => $"{g.Key}={g.Last().Value}"));
        foreach (var n in counts)
        {
            var config = plugin.Config.Bind([.. defaults, .. overrides, new("labels", n.ToString(inv))], "vfae config");
            var dir = Path.Combine(outDir, $"labels-{n}");
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            stdout.WriteLine($"{n} labels: training → {dir}");
            stdout.Flush();
            // The classifier is scored after every epoch (about 1 s on the 10,000 test images), so the curve shows whether
            // more epochs would help; the table reports the last epoch's figure, never the best one seen on test.
            var accuracies = new List<double>();
            var result = new Trainer(plugin, config).Run(dir, resume: false,
                afterTraining: (model, data) => RunPictures.Write(model, data, dir),
                afterEpoch: (model, data, m) =>
                {
                    var vfae = model as VfaeModel ?? throw new InvalidOperationException("semisupervised needs the vfae variant");
                    accuracies.Add(Accuracy(vfae, data.Test, data.Tabular!.TestLabels));
                    WriteAccuracyCurve(dir, accuracies);
                    stdout.WriteLine(string.Create(inv,
                        $"  epoch {m.Epoch}: test bound {m.TestElbo:F2}, q(y|z1) test accuracy {accuracies[^1]:F4} ({m.Seconds:F0} s)"));
                    stdout.Flush();
                });
            var accuracy = accuracies[^1];
            rows.Add(new Row(n, accuracy, result.Metrics[^1].TestElbo, result.Elapsed.TotalSeconds));
            stdout.WriteLine(string.Create(inv, $"{n} labels: q(y|z1) test accuracy {accuracy:F4}"));
        }

        var sb = new StringBuilder();
        sb.AppendLine($"Semi-supervised VFAE, test accuracy of q(y|z1) (posterior mean of z1); config: {described}");
        sb.AppendLine();
        sb.AppendLine("| labels | q(y\\|z1) accuracy | Pyro M2 | test ELBO | seconds |");
        sb.AppendLine("|---|---|---|---|---|");
        foreach (var r in rows)
            sb.AppendLine(string.Create(inv, $"| {r.Labels} | {r.Accuracy:F4} | {(PyroM2.TryGetValue(r.Labels, out var p) ? p.ToString("F3", inv) : "–")} | {r.TestElbo:F2} | {r.Seconds:F0} |"));
        var table = sb.ToString().TrimEnd();
        stdout.WriteLine();
        stdout.WriteLine(table);
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, "semisupervised.md"), table + "\n");
        AtomicFile.WriteAllText(Path.Combine(outDir, "semisupervised.csv"),
            "labels,accuracy,test_elbo,seconds\n" + string.Concat(rows.Select(r => string.Create(inv, $"{r.Labels},{r.Accuracy:R},{r.TestElbo:R},{r.Seconds:F1}\n"))));
        stdout.WriteLine($"wrote {outDir}/semisupervised.md and semisupervised.csv");
        return 0;
    }

    /// <summary>accuracy.csv and accuracy.png in the run's folder: q(y|z1) test accuracy after each epoch.</summary>
    private static void WriteAccuracyCurve(string dir, IReadOnlyList<double> accuracies)
    {
        var inv = CultureInfo.InvariantCulture;
        AtomicFile.WriteAllText(Path.Combine(dir, "accuracy.csv"),
            "epoch,test_accuracy\n" + string.Concat(accuracies.Select((a, i) => string.Create(inv, $"{i + 1},{a:R}\n"))));
        Pictures.LinePlot([("Q(Y|Z1) TEST ACCURACY", accuracies)]).Save(Path.Combine(dir, "accuracy.png"));
    }

    /// <summary>The share of <paramref name="rows"/> whose most probable class under q(y|z1) is the label.</summary>
    public static double Accuracy(VfaeModel model, Tensor rows, long[] labels)
    {
        using var _ = no_grad();
        int correct = 0;
        for (long start = 0; start < rows.size(0); start += Trainer.EvalBatch)
        {
            using var scope = NewDisposeScope();
            var predicted = model.Classify(rows.narrow(0, start, Math.Min(Trainer.EvalBatch, rows.size(0) - start))).argmax(1).data<long>();
            for (int i = 0; i < predicted.Length; i++) correct += predicted[i] == labels[start + i] ? 1 : 0;
        }
        return (double)correct / labels.Length;
    }
}
