using System.Diagnostics;
using System.Text;
using Zoo.Core.Data;
using Zoo.Core.Evaluation;
using Zoo.Core.Imaging;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Training;

/// <summary>What a finished (or resumed-and-finished) training run leaves behind.</summary>
public sealed record TrainingResult(string RunDir, IReadOnlyList<EpochMetrics> Metrics, TimeSpan Elapsed);

/// <summary>
/// Trains a model plugin on its configured data with Adam on shuffled minibatches. Per epoch it appends train and
/// test ELBO, reconstruction and KL to metrics.csv, redraws curves.png and writes an atomic checkpoint (model,
/// optimizer, config, generator state, epoch, metrics), so a resumed run continues exactly where it stopped and
/// reaches the same numbers as an uninterrupted one. A NaN or infinite loss stops training with an error naming
/// the epoch and batch. Denormal floats are flushed to zero while it trains: as the weights of unused latent
/// units decay, denormals reach the GEMMs and slowed an epoch of seed 003's set-up from ~4 s to ~7 s.
/// </summary>
public sealed class Trainer(IModelPlugin plugin, object config)
{
    public const int EvalBatch = 500;

    private readonly ITrainingConfig cfg = config as ITrainingConfig ??
        throw new ArgumentException($"model '{plugin.Name}' config {config.GetType().Name} does not implement {nameof(ITrainingConfig)}");

    public static string ConfigPath(string runDir) => Path.Combine(runDir, "config.json");
    public static string MetricsPath(string runDir) => Path.Combine(runDir, "metrics.csv");
    public static string CurvesPath(string runDir) => Path.Combine(runDir, "curves.png");

    /// <summary>
    /// Trains into <paramref name="runDir"/>. With <paramref name="resume"/> it continues from the run's
    /// checkpoint (whose config must equal this one except for the number of epochs).
    /// <paramref name="afterTraining"/> runs with the trained model and data before they are freed (pictures).
    /// <paramref name="afterEpoch"/> runs after each epoch's checkpoint, in eval mode without gradients, for measures
    /// of a model's own (e.g. a classifier's test accuracy).
    /// </summary>
    public TrainingResult Run(string runDir, bool resume, ITrainingObserver? observer = null,
        Action<IVaeModel, TrainingData>? afterTraining = null, CancellationToken cancel = default,
        Action<IVaeModel, TrainingData, EpochMetrics>? afterEpoch = null)
    {
        var total = Stopwatch.StartNew();
        var flushed = Threading.FlushDenormal;
        Threading.SetFlushDenormal(true);
        try { return Train(runDir, resume, observer, afterTraining, afterEpoch, total, cancel); }
        finally { Threading.SetFlushDenormal(flushed); }
    }

    private TrainingResult Train(string runDir, bool resume, ITrainingObserver? observer, Action<IVaeModel, TrainingData>? afterTraining,
        Action<IVaeModel, TrainingData, EpochMetrics>? afterEpoch, Stopwatch total, CancellationToken cancel)
    {
        Directory.CreateDirectory(runDir);
        if (!resume && Directory.Exists(Path.Combine(runDir, CheckpointState.Folder)))
            throw new IOException($"{runDir} already holds a trained run: resume it with --resume, or choose another --out");

        using var data = TrainingData.Load(cfg);
        using var gen = new Generator((ulong)cfg.Seed);
        using var model = plugin.Create(config, data.Shape, gen);
        using var adam = optim.Adam(model.Module.parameters(), lr: cfg.LearningRate);
        var history = new List<EpochMetrics>();
        PartialEpoch? partial = null;
        byte[]? checkpointGenerator = null;
        if (resume)
        {
            var dir = CheckpointState.Locate(runDir);
            var state = CheckpointState.Load(dir);
            if (state.Model != plugin.Name)
                throw new InvalidDataException($"{runDir}: the checkpoint is of model '{state.Model}', not '{plugin.Name}'");
            model.Module.load(CheckpointState.ModelPath(dir));
            adam.load(CheckpointState.OptimizerPath(dir));
            using (var g = tensor(state.GeneratorState)) gen.set_state(g);
            history.AddRange(state.Metrics);
            partial = state.Partial;
            checkpointGenerator = state.GeneratorState;
        }
        var configJson = plugin.Config.ToJson(config);
        AtomicFile.WriteAllText(ConfigPath(runDir), configJson);
        WriteMetrics(runDir, history);

        int trainCount = data.Train.Count;
        int batches = (trainCount + cfg.BatchSize - 1) / cfg.BatchSize;
        for (int epoch = history.Count + 1; epoch <= cfg.Epochs; epoch++)
        {
            var sw = Stopwatch.StartNew();
            observer?.EpochStarted(epoch, cfg.Epochs, batches);
            model.Module.train();
            double loss = 0, rec = 0, kl = 0, earlierSeconds = 0;
            int batch = 0;
            byte[] epochStart;
            using (var g = gen.get_state()) epochStart = g.data<byte>();
            var resumeAt = partial is { } p && p.Epoch == epoch ? p : null;
            partial = null;
            if (resumeAt is not null)
            {
                // Redraw this epoch's shuffle from the state it started with, then continue from the saved state.
                using (var g = tensor(resumeAt.EpochStartGenerator)) gen.set_state(g);
                epochStart = resumeAt.EpochStartGenerator;
                (loss, rec, kl, earlierSeconds) = (resumeAt.Loss, resumeAt.Reconstruction, resumeAt.Kl, resumeAt.TrainSeconds);
            }
            using var shuffled = Batches.Shuffled(trainCount, cfg.BatchSize, gen).GetEnumerator();
            while (shuffled.MoveNext())
            {
                using var batchIndex = shuffled.Current;  // made before this batch's scope opened
                if (resumeAt is not null)
                {
                    if (batch < resumeAt.BatchesDone) { batch++; continue; }
                    using (var g = tensor(checkpointGenerator!)) gen.set_state(g);
                    resumeAt = null;
                }
                if (cancel.IsCancellationRequested)
                {
                    // Graceful stop: checkpoint at this batch boundary, mid-epoch, and say where it stopped.
                    using (var g = gen.get_state())
                        new CheckpointState(plugin.Name, configJson, epoch - 1, g.data<byte>(), history,
                            new PartialEpoch(epoch, batch, epochStart, loss, rec, kl, earlierSeconds + sw.Elapsed.TotalSeconds)).Save(runDir, model.Module, adam);
                    throw new TrainingInterruptedException(
                        $"{plugin.Name}: stopped at epoch {epoch}, batch {batch} of {batches}; checkpointed, resume to continue", cancel);
                }
                var index = batchIndex;
                (model as IScheduledObjective)?.Progress((long)(epoch - 1) * batches + batch, batches);
                using var scope = NewDisposeScope();
                var x = data.TrainBatch(index, gen);
                adam.zero_grad();
                var terms = model.Loss(x, gen);
                var value = terms.Loss.item<double>();
                if (!double.IsFinite(value))
                    throw new TrainingDivergedException(
                        $"{plugin.Name}: loss is {value} at epoch {epoch}, batch {batch + 1} of {batches}; lower learning-rate or set clip-grad-norm");
                terms.Loss.backward();
                if (cfg.ClipGradNorm > 0) nn.utils.clip_grad_norm_(model.Module.parameters(), cfg.ClipGradNorm);
                adam.step();
                long n = x.size(0);
                loss += value * n;
                rec += terms.Reconstruction.sum().item<double>();
                kl += terms.Kl.sum().item<double>();
                batch++;
                observer?.BatchDone(epoch, batch, value);
            }
            var trainSeconds = earlierSeconds + sw.Elapsed.TotalSeconds;
            var (testRec, testKl) = Evaluate(model, data.Test, cfg.Seed);
            var diagnostics = LatentDiagnostics.Compute(model, data.Test);
            var metrics = new EpochMetrics(epoch, (rec - kl) / trainCount, rec / trainCount, kl / trainCount, loss / trainCount,
                testRec - testKl, testRec, testKl, trainSeconds, sw.Elapsed.TotalSeconds, LiveTensors, diagnostics.ActiveUnits);
            if (diagnostics.ActiveUnits < cfg.MinActiveUnits)
                observer?.Warning($"posterior collapse: {diagnostics.ActiveUnits} of {model.LatentDim} latent units active after epoch {epoch} " +
                                  $"(fewer than min-active-units={cfg.MinActiveUnits}); try kl-warmup=EPOCHS or free-bits=NATS");
            history.Add(metrics);
            using (var g = gen.get_state())
                new CheckpointState(plugin.Name, configJson, epoch, g.data<byte>(), history).Save(runDir, model.Module, adam);
            WriteMetrics(runDir, history);
            if (afterEpoch is not null)
            {
                model.Module.eval();
                using (no_grad()) afterEpoch(model, data, metrics);
            }
            observer?.EpochDone(metrics);
        }
        model.Module.eval();
        afterTraining?.Invoke(model, data);
        return new TrainingResult(runDir, history, total.Elapsed);
    }

    /// <summary>
    /// Mean reconstruction and KL over a data set, without gradients, with a generator seeded afresh each call so
    /// the figure depends only on the weights.
    /// </summary>
    public static (double Reconstruction, double Kl) Evaluate(IVaeModel model, Tensor data, int seed)
    {
        using var _ = no_grad();
        using var gen = new Generator((ulong)seed + 1);
        double rec = 0, kl = 0;
        long n = data.size(0);
        for (long start = 0; start < n; start += EvalBatch)
        {
            using var scope = NewDisposeScope();
            var terms = model.Loss(data.narrow(0, start, Math.Min(EvalBatch, n - start)), gen);
            rec += terms.Reconstruction.sum().item<double>();
            kl += terms.Kl.sum().item<double>();
        }
        return (rec / n, kl / n);
    }

    private static void WriteMetrics(string runDir, IReadOnlyList<EpochMetrics> history)
    {
        var csv = new StringBuilder(EpochMetrics.CsvHeader).Append('\n');
        foreach (var m in history) csv.Append(m.ToCsv()).Append('\n');
        AtomicFile.WriteAllText(MetricsPath(runDir), csv.ToString());
        if (history.Count == 0) return;
        Pictures.Stack(
            Pictures.LinePlot([("TRAIN ELBO", history.Select(m => m.TrainElbo).ToList()), ("TEST ELBO", history.Select(m => m.TestElbo).ToList())]),
            Pictures.LinePlot([("TRAIN RECONSTRUCTION", history.Select(m => m.TrainReconstruction).ToList()),
                               ("TEST RECONSTRUCTION", history.Select(m => m.TestReconstruction).ToList())]),
            Pictures.LinePlot([("TRAIN KL", history.Select(m => m.TrainKl).ToList()), ("TEST KL", history.Select(m => m.TestKl).ToList())])
        ).Save(CurvesPath(runDir));
    }
}
