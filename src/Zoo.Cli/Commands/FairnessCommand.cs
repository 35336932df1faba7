using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Evaluation;
using Zoo.Core.Imaging;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo fairness [key=value ...]`: seed 000's comparison on a table (German credit by default). For each seed it
/// trains the plain VAE, the VFAE without MMD and the VFAE, and scores four representations of the test split, raw x
/// and the three posterior means of z1: accuracy of a logistic probe for y, of logistic and MLP probes for s (fair:
/// close to the majority rate), the discrimination of the y probe, and the VFAE's own q(y|z1). Mean ± deviation over
/// seeds, printed and written to fairness.md and fairness.csv.
/// </summary>
internal static class FairnessCommand
{
    private sealed record Row(string Representation, double YAccuracy, double SLogistic, double SMlp, double SMajority, double Discrimination, double? ClassifierAccuracy);

    /// <summary>Seed 000's comparison: the VFAE's plain-VAE variant, the VFAE without MMD and the VFAE.</summary>
    private static readonly (string Name, string[] Settings)[] VfaeComparison =
    [
        ("VAE", ["variant=vae"]),
        ("VFAE without MMD", ["mmd-weight=0"]),
        ("VFAE", []),
    ];

    public static int Run(string modelName, string[] settings, int seeds, string outDir, TextWriter stdout)
    {
        if (seeds is < 1 or > 100) throw new ArgumentException($"--seeds must be in [1, 100], found {seeds}");
        var overrides = ConfigText.ParseAssignments(settings);
        if (overrides.Any(kv => kv.Key is "seed" or "variant"))
            throw new ArgumentException("fairness sets seed and variant itself; leave them out (use --seeds)");
        using var services = ZooServices.Build();
        var catalog = services.GetRequiredService<PluginCatalog>();
        // The vfae is compared with its own variants; any other model is probed as it is.
        var models = modelName == "vfae" ? VfaeComparison : [(modelName, [])];
        var rows = new List<Row>();
        var inv = CultureInfo.InvariantCulture;
        string? dataset = null;
        for (int seed = 0; seed < seeds; seed++)
        {
            foreach (var (name, extra) in models)
            {
                var values = overrides.ToDictionary();
                foreach (var (k, v) in ConfigText.ParseAssignments([.. extra, $"seed={seed.ToString(inv)}"])) values[k] = v;
                var run = RunConfig.Bind(modelName, values, catalog);
                dataset ??= run.Dataset.Name;
                var dir = Path.Combine(outDir, $"seed-{seed}", name.ToLowerInvariant().Replace(' ', '-'));
                if (Directory.Exists(dir)) Directory.Delete(dir, true);
                stdout.WriteLine($"seed {seed}: training {name} → {dir}");
                stdout.Flush();
                run.Train(dir, resume: false, [.. catalog.Callbacks(), new RunHooks(started: Check, finished: t =>
                {
                    var data = t.Data;
                    if (name == models[0].Name) rows.Add(Score("raw x", data, data.Tabular!.Train.narrow(1, 0, data.Tabular.Layout.Features),
                        data.Test.narrow(1, 0, data.Tabular.Layout.Features), null, seed));
                    using var train = RunPictures.EncodeMeans(t.Model, data.Tabular!.Train, Binarization.None);
                    using var test = RunPictures.EncodeMeans(t.Model, data.Test, Binarization.None);
                    long[]? own = null;
                    if (t.Model is IClassifier { ClassifierMissing: null } classifier)
                    {
                        using var p = classifier.Classify(data.Test);
                        using var am = p.argmax(1);
                        own = am.data<long>();
                    }
                    rows.Add(Score(name, data, train, test, own, seed));
                })]);
            }
        }

        var table = Summarise(rows, seeds, dataset!);
        stdout.WriteLine();
        stdout.WriteLine(table);
        Directory.CreateDirectory(outDir);
        AtomicFile.WriteAllText(Path.Combine(outDir, "fairness.md"), table + "\n");
        var csv = new StringBuilder("representation,seed,y_accuracy,s_accuracy_logistic,s_accuracy_mlp,s_majority,discrimination,classifier_accuracy\n");
        foreach (var (r, i) in rows.Select((r, i) => (r, i)))
            csv.Append(string.Create(inv, $"{r.Representation},{i / (models.Length + 1)},{r.YAccuracy:R},{r.SLogistic:R},{r.SMlp:R},{r.SMajority:R},{r.Discrimination:R},{(r.ClassifierAccuracy is { } c ? c.ToString("R", inv) : "")}\n"));
        AtomicFile.WriteAllText(Path.Combine(outDir, "fairness.csv"), csv.ToString());
        stdout.WriteLine($"wrote {outDir}/fairness.md and fairness.csv");
        return 0;
    }

    /// <summary>Probes need a table's sensitive groups; says so before training when the data has none.</summary>
    private static void Check(TrainingContext t)
    {
        if (t.Data.Tabular is not { Layout.SensitiveIsGroup: true })
            throw new ArgumentException($"fairness probes s groups, but {t.Data.Train.Name.Replace("-train", "")} has none: use a table with a sensitive column (dataset=credit-g or a .arff)");
    }

    private static Row Score(string name, TrainingData data, Tensor train, Tensor test, long[]? own, int seed)
    {
        var t = data.Tabular!;
        int groups = t.Layout.SensitiveGroups, classes = t.Layout.Classes;
        var yHat = Probes.FitPredict(Probes.Kind.Logistic, train, t.TrainLabels, test, classes, seed);
        var sLogistic = Probes.FitPredict(Probes.Kind.Logistic, train, t.TrainSensitive, test, groups, seed);
        var sMlp = Probes.FitPredict(Probes.Kind.Mlp, train, t.TrainSensitive, test, groups, seed);
        return new Row(name, Probes.Accuracy(yHat, t.TestLabels), Probes.Accuracy(sLogistic, t.TestSensitive), Probes.Accuracy(sMlp, t.TestSensitive),
            Probes.MajorityRate(t.TestSensitive), Probes.Discrimination(yHat, t.TestSensitive), own is null ? null : Probes.Accuracy(own, t.TestLabels));
    }

    private static string Summarise(List<Row> rows, int seeds, string dataset)
    {
        var inv = CultureInfo.InvariantCulture;
        string Stat(IEnumerable<double> values)
        {
            var v = values.ToList();
            double mean = v.Average();
            double sd = v.Count > 1 ? Math.Sqrt(v.Sum(x => (x - mean) * (x - mean)) / (v.Count - 1)) : 0;
            return v.Count > 1 ? string.Create(inv, $"{mean:F3} ± {sd:F3}") : string.Create(inv, $"{mean:F3}");
        }
        var sb = new StringBuilder();
        sb.AppendLine(string.Create(inv, $"Fairness on {dataset}, test split, mean ± sd over {seeds} seed(s) (split and initialisation):"));
        sb.AppendLine();
        sb.AppendLine("| representation | y accuracy (LR) | s accuracy (LR) | s accuracy (MLP) | s majority rate | discrimination | q(y\\|z1) accuracy |");
        sb.AppendLine("|---|---|---|---|---|---|---|");
        foreach (var g in rows.GroupBy(r => r.Representation))
            sb.AppendLine($"| {g.Key} | {Stat(g.Select(r => r.YAccuracy))} | {Stat(g.Select(r => r.SLogistic))} | {Stat(g.Select(r => r.SMlp))} | " +
                          $"{Stat(g.Select(r => r.SMajority))} | {Stat(g.Select(r => r.Discrimination))} | " +
                          $"{(g.All(r => r.ClassifierAccuracy is not null) ? Stat(g.Select(r => r.ClassifierAccuracy!.Value)) : "–")} |");
        return sb.ToString().TrimEnd();
    }
}
