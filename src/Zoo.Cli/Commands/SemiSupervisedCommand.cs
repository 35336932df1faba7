using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Core.Runs;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo semisupervised [key=value ...] [--labels 100,600,1000,3000]`: the VFAE on MNIST with the last pixels as s,
/// trained once per label count with the rest of the training images unlabelled (y summed out), scored by the test
/// accuracy of its own classifier q(y|z1) on the posterior mean of z1. Printed beside Pyro's M2 figures and
/// written to semisupervised.md and .csv; each run's folder also gets the accuracy after every epoch (metrics.csv's
/// test_accuracy, a panel of curves.png) and its pictures (digits generated from z1 ~ N(0, I) with s from test images, by class, and
/// reconstructions).
/// </summary>
internal static class SemiSupervisedCommand
{
    /// <summary>The command's starting point (any key may be overridden): MNIST, no MMD (pixel s form no groups), M2-sized networks.</summary>
    public static readonly string[] Defaults =
        ["dataset=mnist", "mmd=none", "encoder.hidden=500", "decoder.hidden=500", "classifier-hidden=500", "latent=50", "latent2=50", "alpha=100",
         "labelled-share=0.3", "epochs=50", "batch-size=100"]; // 50 epochs: what Pyro trains its M2 for

    /// <summary>Pyro's semi-supervised VAE (M2) test accuracies on MNIST, from its examples' README.</summary>
    private static readonly Dictionary<int, double> PyroM2 = new() { [100] = 0.932, [600] = 0.944, [1000] = 0.949, [3000] = 0.958 };

    private sealed record Row(int Labels, double Accuracy, double TestElbo, double Seconds);

    public static int Run(string modelName, string[] settings, string labelCounts, string outDir, TextWriter stdout)
    {
        var counts = labelCounts.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Select(c =>
            int.TryParse(c, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0
                ? n : throw new ArgumentException($"--labels: expected positive whole numbers separated by commas, found '{c}'")).ToList();
        if (counts.Count == 0) throw new ArgumentException("--labels: expected at least one label count, found none");
        var overrides = ConfigText.ParseAssignments(settings);
        if (overrides.Any(kv => kv.Key == "labels")) throw new ArgumentException("semisupervised sets labels itself; use --labels");
        using var services = ZooServices.Build();
        var catalog = services.GetRequiredService<PluginCatalog>();
        var inv = CultureInfo.InvariantCulture;
        var rows = new List<Row>();
        // The defaults are the vfae's: a model without some of their keys takes the others, so that it gets as far as
        // the ability check below (and fails naming IClassifier, not the vfae's keys it lacks).
        var known = RunConfig.Schema.Keys.Concat(catalog.Model(modelName).Config.Keys).Select(k => k.Name).ToHashSet();
        bool Knows(string key) => known.Contains(key.Split('.')[0]);
        var defaults = ConfigText.ParseAssignments(Defaults).Where(kv => Knows(kv.Key)).ToList();
        string? described = null;
        foreach (var n in counts)
        {
            KeyValuePair<string, string>[] labels = Knows("labels") ? [new("labels", n.ToString(inv))] : [];
            var run = RunConfig.Bind(modelName, [.. overrides, .. labels], catalog, defaults);
            described ??= string.Join(" ", run.Values().Where(kv => kv.Key is not ("labels" or "model")).Select(kv => $"{kv.Key}={kv.Value}"));
            var dir = Path.Combine(outDir, $"labels-{n}");
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
            stdout.WriteLine($"{n} labels: training → {dir}");
            stdout.Flush();
            // The classifier-accuracy callback scores q(y|·) on the test split after every epoch (metrics.csv test_accuracy);
            // the table reports the last epoch's figure, never the best one seen on test.
            var result = run.Train(dir, resume: false, [.. catalog.Callbacks(), new RunHooks(started: t =>
            {
                if (t.Model is not IClassifier classifier)
                    throw new ArgumentException($"semisupervised scores a model's own classifier, and {modelName} has none (it does not implement IClassifier)");
                if (classifier.ClassifierMissing is { } why) throw new ArgumentException($"semisupervised: {why}");
                if (!Knows("labels")) throw new ArgumentException($"semisupervised sets how many training rows keep their label, and {modelName} has no labels key");
            })], new EpochLines(stdout));
            var accuracy = result.Metrics[^1].Extra![ClassifierAccuracy];
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

    /// <summary>The figure the classifier-accuracy callback adds to every epoch.</summary>
    private const string ClassifierAccuracy = "test_accuracy";

    /// <summary>One line per epoch: the test bound and the classifier's accuracy.</summary>
    private sealed class EpochLines(TextWriter stdout) : ITrainingObserver
    {
        public void EpochStarted(int epoch, int epochs, int batches) { }
        public void BatchDone(int epoch, int batch, double loss) { }

        public void EpochDone(EpochMetrics m)
        {
            var accuracy = m.Extra is { } e && e.TryGetValue(ClassifierAccuracy, out var a) ? a.ToString("F4", CultureInfo.InvariantCulture) : "–";
            stdout.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  epoch {m.Epoch}: test bound {m.TestElbo:F2}, q(y|z1) test accuracy {accuracy} ({m.Seconds:F0} s)"));
            stdout.Flush();
        }
    }
}
