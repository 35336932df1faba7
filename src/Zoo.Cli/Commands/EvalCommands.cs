using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core;
using Zoo.Core.Evaluation;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;

namespace Zoo.Cli.Commands;

/// <summary>`zoo eval` (test ELBO, importance-weighted NLL, latent diagnostics) and `zoo score` (anomaly scores).</summary>
internal static class EvalCommands
{
    private static readonly JsonSerializerOptions Json = new() { WriteIndented = true, PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    public static int Eval(string runDir, int k, int limit, int seed, string? jsonPath, TextWriter stdout)
    {
        if (k is < 1 or > 100_000) throw new ArgumentException($"--k must be in [1, 100000], found {k}");
        if (limit < 0) throw new ArgumentException($"--limit must be 0 (all) or positive, found {limit}");
        using var services = ZooServices.Build();
        using var run = TrainedRun.Open(runDir, services.GetRequiredService<PluginCatalog>());
        stdout.WriteLine($"zoo eval {run.Plugin.Name} (epoch {run.Epoch}) on {run.Dataset} test, k = {k} importance samples ...");
        stdout.Flush();
        var r = LikelihoodReport.Measure(run, k, limit, seed);
        var inv = CultureInfo.InvariantCulture;
        stdout.WriteLine(string.Create(inv, $"examples        {r.Examples} ({r.Dataset} test, {r.Binarization} binarisation)"));
        stdout.WriteLine(string.Create(inv, $"test {EpochMetrics.BoundLabel(r.Bound),-11} {r.Elbo:F2} nats"));
        stdout.WriteLine(string.Create(inv, $"log p(x), k={k,-5} {r.LogLikelihood:F2} nats (IWAE bound; standard error {r.StandardError:F2})"));
        stdout.WriteLine(string.Create(inv, $"test NLL        {r.Nll:F2} nats"));
        stdout.WriteLine(string.Create(inv, $"time            {r.Seconds:F1} s for the importance sampling ({r.Examples * (double)k / r.Seconds:N0} samples/s)"));
        stdout.WriteLine(string.Create(inv, $"active units    {r.ActiveUnits} of {r.Activity.Length} (Cov_x E[z_u|x] > {LatentDiagnostics.ActivityThreshold})"));
        stdout.WriteLine(DimensionTable(r));
        var path = jsonPath ?? Path.Combine(runDir, "eval.json");
        AtomicFile.WriteAllText(path, JsonSerializer.Serialize(r, Json));
        stdout.WriteLine($"wrote {path}");
        return 0;
    }

    public static int Score(string runDir, string? dataset, string split, int k, double quantile, int limit, int seed,
        string? outPath, TextWriter stdout)
    {
        if (k is < 1 or > 100_000) throw new ArgumentException($"--k must be in [1, 100000], found {k}");
        if (split is not ("train" or "test")) throw new ArgumentException($"--split must be train or test, found '{split}'");
        if (limit < 0) throw new ArgumentException($"--limit must be 0 (all) or positive, found {limit}");
        using var services = ZooServices.Build();
        var catalog = services.GetRequiredService<PluginCatalog>();
        using var run = TrainedRun.Open(runDir, catalog);
        var data = dataset ?? run.Dataset;
        using var scored = data == run.Dataset && split == "test" ? null : DataSets.Load(data, catalog, run.Training.Seed);
        var r = AnomalyReport.Measure(run, scored, data, split, k, quantile, limit, seed);
        var inv = CultureInfo.InvariantCulture;
        var csv = new StringBuilder("index,label,nll,anomalous\n");
        for (int i = 0; i < r.Scores.Length; i++)
            csv.Append(string.Create(inv, $"{i},{r.Labels[i]},{r.Scores[i]:R},{(r.Scores[i] > r.Threshold ? 1 : 0)}\n"));
        var path = outPath ?? Path.Combine(runDir, $"scores-{Path.GetFileNameWithoutExtension(data)}-{split}.csv");
        AtomicFile.WriteAllText(path, csv.ToString());
        stdout.WriteLine(string.Create(inv, $"zoo score {r.Model}: NLL by importance sampling, k = {k}; {r.Seconds:F1} s"));
        stdout.WriteLine(string.Create(inv, $"threshold       {r.Threshold:F2} nats: the {quantile:0.###} quantile of {r.Reference} (first half, held out)"));
        stdout.WriteLine(string.Create(inv, $"reference       {r.Reference} (second half): {r.ReferenceScores.Length} inputs, mean NLL {r.ReferenceScores.Average():F2}, flagged {r.FlaggedReference:P1}"));
        stdout.WriteLine(string.Create(inv, $"scored          {r.Scored}: {r.Scores.Length} inputs, mean NLL {r.Scores.Average():F2}, flagged {r.FlaggedScored:P1}"));
        if (r.Auroc is { } auc) stdout.WriteLine(string.Create(inv, $"AUROC           {auc:F4} (NLL separating {r.Scored} from {r.Reference})"));
        stdout.WriteLine($"wrote {path}");
        return 0;
    }

    /// <summary>Activity and KL of each latent dimension, most informative first.</summary>
    private static string DimensionTable(LikelihoodReport r)
    {
        var inv = CultureInfo.InvariantCulture;
        var order = Enumerable.Range(0, r.Activity.Length).OrderByDescending(u => r.KlPerDimension?[u] ?? r.Activity[u]).ToList();
        var sb = new StringBuilder(r.KlPerDimension is null ? "dimension  activity\n" : "dimension  activity  KL (nats)\n");
        foreach (var u in order)
        {
            sb.Append(string.Create(inv, $"z{u,-9} {r.Activity[u],8:F4}"));
            if (r.KlPerDimension is { } kl) sb.Append(string.Create(inv, $"  {kl[u],9:F3}"));
            sb.Append(r.Activity[u] > LatentDiagnostics.ActivityThreshold ? "  active\n" : "\n");
        }
        return sb.ToString().TrimEnd();
    }
}
