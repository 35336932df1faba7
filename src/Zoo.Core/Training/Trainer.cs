using System.Diagnostics;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Training;

/// <summary>What a finished (or resumed-and-finished) training run leaves behind.</summary>
public sealed record TrainingResult(string RunDir, IReadOnlyList<EpochMetrics> Metrics, TimeSpan Elapsed, IReadOnlyList<string> Files);

/// <summary>
/// The training loop: Adam on seeded shuffled minibatches of the data it is given, per-epoch test evaluation, an
/// atomic checkpoint every epoch (model, optimizer, config, generator state, epoch, metrics), resume, graceful stop and
/// divergence. A resumed run continues exactly where it stopped and reaches the same numbers as an uninterrupted one.
/// A NaN or infinite loss stops training with an error naming the epoch and batch. Everything else a run writes is a
/// callback's (<see cref="ITrainingCallback"/>). Denormal floats are flushed to zero while it trains: as the weights
/// of unused latent units decay, denormals reach the GEMMs and slowed an epoch of seed 003's set-up from ~4 s to ~7 s.
/// </summary>
/// <param name="modelName">the model's name, checked against a checkpoint on resume</param>
/// <param name="configJson">the run's resolved config, saved beside the run and in its checkpoints</param>
/// <param name="cfg">the training keys: epochs, batch size, learning rate, seed and the rest</param>
/// <param name="data">the training and test splits</param>
/// <param name="createModel">builds the model from the run's generator (seeded with the training seed)</param>
/// <param name="callbacks">what else the run writes or checks (metrics, pictures, early stopping)</param>
public sealed class Trainer(string modelName, string configJson, TrainingConfig cfg, TrainingData data,
    Func<Generator, IVaeModel> createModel, IEnumerable<ITrainingCallback>? callbacks = null)
{
    public const int EvalBatch = 500;

    private readonly IReadOnlyList<ITrainingCallback> callbacks = (callbacks ?? []).OrderBy(c => c.Order).ToList();

    public static string ConfigPath(string runDir) => Path.Combine(runDir, "config.json");

    /// <summary>
    /// Trains into <paramref name="runDir"/>, after checking that the run fits in the memory available
    /// (<see cref="MemoryEstimate"/>; <see cref="NotEnoughMemoryException"/> before anything is written). With <paramref name="resume"/> it continues from the run's checkpoint.
    /// The folder's run lock is taken for the run (one trainer per folder) unless the caller has claimed it already
    /// (<paramref name="claimed"/>, as the job service does before it marks a job running); then the temp files of
    /// dead writers there are removed.
    /// </summary>
    public TrainingResult Run(string runDir, bool resume, ITrainingObserver? observer = null, CancellationToken cancel = default,
        FolderLock? claimed = null)
    {
        var total = Stopwatch.StartNew();
        // Before the folder, its lock or any real tensor: a model that cannot fit is refused in one line, not killed.
        MemoryEstimate.ForTraining(modelName, createModel, cfg, data)?.EnsureFits();
        var created = !Directory.Exists(runDir);
        var runLock = claimed is null ? FolderLock.AcquireRun(runDir) : null;
        StaleTemps.Remove(runDir);
        var flushed = Threading.FlushDenormal;
        Threading.SetFlushDenormal(true);
        try { return Train(runDir, resume, observer, total, cancel); }
        catch when (created && runLock is not null)
        {
            // Refused before anything was written (a callback's missing ability, bad data): the folder this run made
            // for its lock goes too, so no empty run is left behind.
            runLock.Dispose();
            runLock = null;
            FolderLock.RemoveUnused(runDir, FolderLock.Run);
            throw;
        }
        finally
        {
            runLock?.Dispose();
            Threading.SetFlushDenormal(flushed);
        }
    }

    private TrainingResult Train(string runDir, bool resume, ITrainingObserver? observer, Stopwatch total, CancellationToken cancel)
    {
        Directory.CreateDirectory(runDir);
        if (!resume && Directory.Exists(Path.Combine(runDir, CheckpointState.Folder)))
            throw new IOException($"{runDir} already holds a trained run: resume it with --resume, or choose another --out");

        using var gen = new Generator((ulong)cfg.Seed);
        using var model = createModel(gen);
        using var adam = optim.Adam(model.Module.parameters(), lr: cfg.LearningRate);
        var history = new List<EpochMetrics>();
        PartialEpoch? partial = null;
        byte[]? checkpointGenerator = null;
        if (resume)
        {
            var dir = CheckpointState.Locate(runDir);
            var state = CheckpointState.Load(dir);
            if (state.Model != modelName)
                throw new InvalidDataException($"{runDir}: the checkpoint is of model '{state.Model}', not '{modelName}'");
            model.Module.load(CheckpointState.ModelPath(dir));
            adam.load(CheckpointState.OptimizerPath(dir));
            using (var g = tensor(state.GeneratorState)) gen.set_state(g);
            history.AddRange(state.Metrics);
            partial = state.Partial;
            checkpointGenerator = state.GeneratorState;
        }
        var context = new TrainingContext(runDir, modelName, cfg, model, data, observer);
        Tell(c => c.Started(context, history)); // a callback may refuse the run (a missing ability) before anything is written
        AtomicFile.WriteAllText(ConfigPath(runDir), configJson);

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
                        new CheckpointState(modelName, configJson, epoch - 1, g.data<byte>(), history,
                            new PartialEpoch(epoch, batch, epochStart, loss, rec, kl, earlierSeconds + sw.Elapsed.TotalSeconds)).Save(runDir, model.Module, adam);
                    throw new TrainingInterruptedException(
                        $"{modelName}: stopped at epoch {epoch}, batch {batch} of {batches}; checkpointed, resume to continue", cancel);
                }
                var index = batchIndex;
                (model as IScheduledObjective)?.Progress((long)(epoch - 1) * batches + batch, batches);
                using var scope = NewDisposeScope();
                var x = data.TrainBatch(index, gen);
                adam.zero_grad();
                // The batch's positions come from a permutation drawn on the host, so its row facts are read there, not from x.
                var terms = model is IRowFactsLoss byFacts && data.TrainFacts is { } facts
                    ? byFacts.Loss(x, facts.Select(index.data<long>()), gen)
                    : model.Loss(x, gen);
                var value = terms.Loss.item<double>();
                if (!double.IsFinite(value))
                    throw new TrainingDivergedException(
                        $"{modelName}: loss is {value} at epoch {epoch}, batch {batch + 1} of {batches}; lower learning-rate or set clip-grad-norm");
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
            var metrics = new EpochMetrics(epoch, (rec - kl) / trainCount, rec / trainCount, kl / trainCount, loss / trainCount,
                testRec - testKl, testRec, testKl, trainSeconds, sw.Elapsed.TotalSeconds, LiveTensors);
            model.Module.eval();
            using (no_grad())
                foreach (var c in callbacks) metrics = c.Measure(context, metrics);
            metrics = metrics with { Seconds = sw.Elapsed.TotalSeconds, LiveTensors = LiveTensors };
            history.Add(metrics);
            using (var g = gen.get_state())
                new CheckpointState(modelName, configJson, epoch, g.data<byte>(), history).Save(runDir, model.Module, adam);
            Tell(c => c.EpochEnded(context, history));
            observer?.EpochDone(metrics);
        }
        Tell(c => c.Finished(context, history));
        return new TrainingResult(runDir, history, total.Elapsed, context.Files);
    }

    /// <summary>Runs a callback hook for each callback in eval mode without gradients.</summary>
    private void Tell(Action<ITrainingCallback> hook)
    {
        using var _ = no_grad();
        foreach (var c in callbacks) hook(c);
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
}
