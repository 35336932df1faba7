using System.Globalization;
using System.Text;
using Zoo.Core;
using Zoo.Core.Configuration;
using Zoo.Core.Imaging;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Reporting.MetricsFile;

/// <summary>
/// metrics.csv (one row per epoch: the fixed figures, then every figure other callbacks added, in order of first
/// appearance) rewritten atomically after each epoch's checkpoint, and curves.png: the bound, reconstruction and KL
/// (or the model's own penalty), train and test, plus one panel per added figure.
/// </summary>
public sealed class MetricsFileCallback : ITrainingCallback
{
    public const string FileName = "metrics.csv";
    public const string CurvesName = "curves.png";

    public static string MetricsPath(string runDir) => Path.Combine(runDir, FileName);

    public int Order => 100;

    public void Started(TrainingContext run, IReadOnlyList<EpochMetrics> history) => Write(run, history);

    public void EpochEnded(TrainingContext run, IReadOnlyList<EpochMetrics> history) => Write(run, history);

    public static void Write(TrainingContext run, IReadOnlyList<EpochMetrics> history)
    {
        var extra = history.SelectMany(m => m.Extra?.Keys ?? []).Distinct().ToList();
        var validation = run.Data.Validation is not null;
        var csv = new StringBuilder(EpochMetrics.CsvHeader(run.Model.Bound, validation));
        foreach (var name in extra) csv.Append(',').Append(name);
        csv.Append('\n');
        foreach (var m in history)
        {
            csv.Append(m.ToCsv(validation));
            foreach (var name in extra)
                csv.Append(',').Append(m.Extra is { } e && e.TryGetValue(name, out var v) ? v.ToString("R", CultureInfo.InvariantCulture) : "");
            csv.Append('\n');
        }
        AtomicFile.WriteAllText(MetricsPath(run.RunDir), csv.ToString());
        run.Wrote(FileName);
        if (history.Count == 0) return;
        List<RgbImage> panels =
        [
            // Train and test keep their colours in every panel; validation comes third.
            Pictures.LinePlot([($"TRAIN {history[0].BoundName}", history.Select(m => m.TrainElbo).ToList()),
                               ($"TEST {history[0].BoundName}", history.Select(m => m.TestElbo).ToList()),
                               .. validation ? [($"VALIDATION {history[0].BoundName}", history.Select(m => m.ValidElbo ?? double.NaN).ToList())] : Array.Empty<(string, List<double>)>()]),
            Pictures.LinePlot([("TRAIN RECONSTRUCTION", history.Select(m => m.TrainReconstruction).ToList()),
                               ("TEST RECONSTRUCTION", history.Select(m => m.TestReconstruction).ToList())]),
            Pictures.LinePlot([($"TRAIN {history[0].Penalty}", history.Select(m => m.TrainKl).ToList()), ($"TEST {history[0].Penalty}", history.Select(m => m.TestKl).ToList())]),
        ];
        foreach (var name in extra)
            panels.Add(Pictures.LinePlot([(name.ToUpperInvariant().Replace('_', ' '), history.Select(m => m.Extra is { } e && e.TryGetValue(name, out var v) ? v : double.NaN).ToList())]));
        Pictures.Stack([.. panels]).Save(Path.Combine(run.RunDir, CurvesName));
        run.Wrote(CurvesName);
    }
}

[ZooPlugin("metrics-file", Description = "metrics.csv and curves.png in the run folder after every epoch")]
public sealed partial class MetricsFilePlugin : CallbackPlugin<NoConfig>
{
    protected override ITrainingCallback Create(NoConfig config) => new MetricsFileCallback();
}
