using System.Diagnostics;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Evaluation;

/// <summary>
/// A trained run's held-out figures (`zoo eval`): the test bound the trainer reports (Bound: the
/// single-sample ELBO, or the model's own, such as the IWAE's k-sample bound), the
/// importance-weighted log-likelihood with k samples (its negative is the NLL papers quote), and how the latent
/// space is used. In nats per example.
/// </summary>
public sealed record LikelihoodReport(
    string Model, int Epoch, string Dataset, string Binarization, int Examples, int K,
    string Bound, double Elbo, double LogLikelihood, double StandardError, double Seconds,
    int ActiveUnits, double[] Activity, double[]? KlPerDimension)
{
    public double Nll => -LogLikelihood;

    /// <summary>Evaluates the first <paramref name="limit"/> test examples (0 = the run's whole test split).</summary>
    public static LikelihoodReport Measure(TrainedRun run, int k, int limit, int seed)
    {
        var model = ImportanceSampling.Require(run, "its log-likelihood cannot be estimated");
        var data = run.Data;
        long n = limit > 0 ? Math.Min(limit, data.Test.size(0)) : data.Test.size(0);
        using var x = data.Test.narrow(0, 0, n);
        var reported = Trainer.Evaluate(run.Model, x, run.Training.Seed);
        var diagnostics = LatentDiagnostics.Compute(run.Model, x);
        using var gen = new Generator((ulong)seed);
        var sw = Stopwatch.StartNew();
        var logPx = ImportanceSampling.LogMarginal(model, x, k, gen, maxRows: ImportanceSampling.RowsThatFit(run, k));
        var seconds = sw.Elapsed.TotalSeconds;
        double mean = logPx.Average();
        double sd = Math.Sqrt(logPx.Sum(v => (v - mean) * (v - mean)) / Math.Max(1, n - 1));
        return new LikelihoodReport(run.Plugin.Name, run.Epoch, run.Dataset, data.Binarization.ToString().ToLowerInvariant(),
            (int)n, k, run.Model.Bound, reported.Bound, mean, sd / Math.Sqrt(n), seconds, diagnostics.ActiveUnits, diagnostics.Activity, diagnostics.KlPerDimension);
    }
}

/// <summary>
/// Anomaly scores (seed 004, `zoo score`): each input's NLL estimate under a trained model, flagged above a
/// threshold that is the <see cref="Quantile"/> of the NLLs of held-out in-distribution data, the first half of the
/// run's own test split (calibration). The second half is the in-distribution reference the scored set is ranked
/// against (AUROC, with the scored inputs as positives), and its flagged fraction shows the false-alarm rate
/// (≈ 1 − quantile). Scoring the run's own test split scores that second half.
/// </summary>
public sealed record AnomalyReport(
    string Model, string Reference, string Scored, int K, double Quantile, double Threshold,
    double[] ReferenceScores, double[] Scores, long[] Labels, double? Auroc, double Seconds)
{
    public double FlaggedReference => ReferenceScores.Count(s => s > Threshold) / (double)ReferenceScores.Length;
    public double FlaggedScored => Scores.Count(s => s > Threshold) / (double)Scores.Length;

    /// <summary>
    /// Scores <paramref name="scored"/>'s <paramref name="split"/> (its [0, 1] inputs, binarised as the run's were), or the
    /// run's own test split when <paramref name="scored"/> is null.
    /// </summary>
    public static AnomalyReport Measure(TrainedRun run, TrainingData? scored, string scoredName, string split, int k, double quantile, int limit, int seed)
    {
        var model = ImportanceSampling.Require(run, "it cannot score likelihoods");
        if (!(quantile > 0 && quantile < 1)) throw new ArgumentException($"--quantile must be in (0, 1), found {quantile}");
        if (scored is not null && scored.Shape.Dimensions != run.Shape.Dimensions)
            throw new ArgumentException($"{scoredName} has {scored.Shape.Dimensions} dimensions per input, but the run's model takes {run.Shape.Dimensions}");
        var sw = Stopwatch.StartNew();
        using var gen = new Generator((ulong)seed);
        long maxRows = ImportanceSampling.RowsThatFit(run, k);

        var own = run.Data;
        var ownInputs = own.Test;
        long half = own.TestSet.Count / 2;
        long calibrationCount = limit > 0 ? Math.Min(limit, half) : half;
        long referenceCount = limit > 0 ? Math.Min(limit, own.TestSet.Count - half) : own.TestSet.Count - half;
        using var calibration = ownInputs.narrow(0, 0, calibrationCount);
        using var reference = ownInputs.narrow(0, half, referenceCount);
        var threshold = Ranking.Quantile(Nll(model, calibration, k, gen, maxRows), quantile);
        var referenceScores = Nll(model, reference, k, gen, maxRows);

        double[] scores;
        long[] labels;
        if (scored is null)
        {
            scores = referenceScores;
            using var l = own.TestSet.Labels.narrow(0, half, referenceCount);
            labels = l.data<long>();
        }
        else
        {
            var set = split == "train" ? scored.Train : scored.TestSet;
            using var part = TrainingData.Limit(set.Take(set.Count), limit);
            using var inputs = TrainingData.EvaluationInputs(part, own.Binarization);
            scores = Nll(model, inputs, k, gen, maxRows);
            labels = part.Labels.data<long>();
        }
        double? auroc = scored is null ? null : Ranking.Auroc(scores, referenceScores);
        return new AnomalyReport(run.Plugin.Name, $"{run.Dataset} test", $"{scoredName} {split}", k, quantile, threshold,
            referenceScores, scores, labels, auroc, sw.Elapsed.TotalSeconds);
    }

    private static double[] Nll(IImportanceSampled model, Tensor x, int k, Generator gen, long maxRows) =>
        ImportanceSampling.LogMarginal(model, x, k, gen, maxRows: maxRows).Select(v => -v).ToArray();
}
