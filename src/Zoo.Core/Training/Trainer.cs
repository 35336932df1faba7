using System.Diagnostics;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Torch;
using Zoo.Torch.Distributed;
using static Zoo.Torch.torch;

namespace Zoo.Core.Training;

/// <summary>What a finished (or resumed-and-finished) training run leaves behind.</summary>
public sealed record TrainingResult(string RunDir, IReadOnlyList<EpochMetrics> Metrics, TimeSpan Elapsed, IReadOnlyList<string> Files)
{
    /// <summary>A data-parallel run's gradient all-reduces (null when trained alone).</summary>
    public GradientTraffic? Traffic { get; init; }
}

/// <summary>
/// The training loop: Adam on seeded shuffled minibatches of the data it is given, per-epoch test evaluation, an
/// atomic checkpoint every epoch (model, optimizer, config, generator state, epoch, metrics), resume, graceful stop and
/// divergence. A resumed run continues exactly where it stopped and reaches the same numbers as an uninterrupted one.
/// A NaN or infinite loss stops training with an error naming the epoch and batch. Everything else a run writes is a
/// callback's (<see cref="ITrainingCallback"/>). Denormal floats are flushed to zero while it trains: as the weights
/// of unused latent units decay, denormals reach the GEMMs and slowed an epoch of seed 003's set-up from ~4 s to ~7 s.
/// As one of several ranks (<see cref="Ranks"/>) it trains its shard of every batch (<see cref="DataParallel"/>), and
/// only rank 0 touches the run folder and tells the callbacks.
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

    /// <summary>The ranks of the data-parallel run this process is one of; null when it trains alone.</summary>
    public ProcessGroup? Ranks { get; init; }

    private bool IsWriter => Ranks is null || Ranks.Rank == 0;

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
        var created = IsWriter && !Directory.Exists(runDir);
        var runLock = IsWriter && claimed is null ? FolderLock.AcquireRun(runDir) : null;
        if (IsWriter) StaleTemps.Remove(runDir);
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
        int worldSize = Ranks?.WorldSize ?? 1;
        if (cfg.EarlyStopping > 0 && data.Validation is null)
            throw new Configuration.ConfigException($"{modelName} config: early-stopping = {cfg.EarlyStopping} selects on a validation split, and this run holds none out; set dataset.validation=N");
        using var gen = new Generator((ulong)cfg.Seed);
        using var model = createModel(gen);
        using var adam = optim.Adam(model.Module.parameters(), lr: cfg.LearningRate);
        using var parallel = Ranks is null ? null : new DataParallel(Ranks, adam.Parameters);
        // Alone, one stream does everything (as it always has); as a rank, the model's draws come from the rank's own.
        using var rankNoise = parallel is null ? null : new Generator(DataParallel.StreamSeed(cfg.Seed, parallel.Rank));
        var noise = rankNoise ?? gen;
        if (!IsWriter) observer = null;

        // Rank 0 opens the run (its checkpoint, the callbacks' consent, config.json) before the other ranks hear how it
        // starts, so a refusal reaches them as rank 0's own message rather than as a lost rank 0.
        var context = new TrainingContext(runDir, modelName, cfg, model, data, observer);
        CheckpointState? state = null;
        if (IsWriter)
        {
            try
            {
                state = Open(runDir, resume, worldSize, model, adam);
                Tell(c => c.Started(context, state?.Metrics ?? [])); // a callback may refuse the run (a missing ability) before anything is written
                AtomicFile.WriteAllText(ConfigPath(runDir), configJson);
            }
            catch (Exception e) when (parallel is not null)
            {
                try { parallel.Start(null, e.Message, model.Module, adam); }
                catch (DistributedException) { } // the others are gone already: rank 0's own error is the one to report
                throw;
            }
        }
        if (parallel is not null) state = parallel.Start(state, null, model.Module, adam);
        var history = new List<EpochMetrics>();
        PartialEpoch? partial = null;
        byte[]? checkpointGenerator = null;
        if (state is not null)
        {
            using (var g = tensor(state.GeneratorState)) gen.set_state(g);
            if (rankNoise is not null)
                using (var g = tensor(state.RankGenerators![parallel!.Rank])) rankNoise.set_state(g);
            history.AddRange(state.Metrics);
            partial = state.Partial;
            checkpointGenerator = state.GeneratorState;
        }

        // Rank 0 writes a checkpoint with every rank's noise stream (gathered: every rank calls this).
        void Checkpoint(int epochsDone, PartialEpoch? stoppedAt)
        {
            var rankStates = parallel?.GatherStates(noise);
            if (!IsWriter) return;
            using var g = gen.get_state();
            new CheckpointState(modelName, configJson, epochsDone, g.data<byte>(), history, stoppedAt, worldSize, rankStates)
                .Save(runDir, model.Module, adam);
        }

        int trainCount = data.EpochCount;
        int batches = (trainCount + cfg.BatchSize - 1) / cfg.BatchSize;
        var boundIsElbo = model.Bound == EpochMetrics.ElboBound; // asked once: a step reads no more than it must
        bool stopAgreed = false; // as a rank: a stop asked of any rank, agreed on in the previous step's all-reduce
        for (int epoch = history.Count + 1; epoch <= cfg.Epochs; epoch++)
        {
            // Decided from the history alone, so a resumed run stops where an uninterrupted one did.
            if (Selection.StopEarly(history, cfg.EarlyStopping) is { } best)
            {
                observer?.Note($"early stopping: the validation {best.BoundName} has not improved for {cfg.EarlyStopping} epochs since epoch {best.Epoch} " +
                               $"({best.ValidElbo:F2} nats); its weights are in {Selection.BestFolder}/");
                break;
            }
            var sw = Stopwatch.StartNew();
            observer?.EpochStarted(epoch, cfg.Epochs, batches);
            adam.lr = cfg.LearningRateAt(epoch); // the schedule's, whether the run started here or resumed
            model.Module.train();
            double loss = 0, rec = 0, kl = 0, bound = 0, earlierSeconds = 0;
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
                // The saved sums are the epoch's so far over all ranks: rank 0 carries them, the others add to them.
                (loss, rec, kl, bound) = IsWriter ? (resumeAt.Loss, resumeAt.Reconstruction, resumeAt.Kl, resumeAt.Bound ?? resumeAt.Reconstruction - resumeAt.Kl) : (0, 0, 0, 0);
                earlierSeconds = resumeAt.TrainSeconds;
            }
            using var shuffled = Batches.Shuffled(trainCount, cfg.BatchSize, gen).GetEnumerator();
            // The batches run as a pair loop: on two cores libtorch's own ops stay on this thread and the pair thread
            // takes the layers' other halves (Threading.PairLoop); evaluation and callbacks after it run as before.
            using (Threading.PairLoop())
            {
                while (shuffled.MoveNext())
                {
                    using var batchIndex = shuffled.Current;  // made before this batch's scope opened
                    if (resumeAt is not null)
                    {
                        if (batch < resumeAt.BatchesDone) { batch++; continue; }
                        using (var g = tensor(checkpointGenerator!)) gen.set_state(g);
                        resumeAt = null;
                    }
                    if (parallel is null ? cancel.IsCancellationRequested : stopAgreed)
                    {
                        // Graceful stop: checkpoint at this batch boundary, mid-epoch, and say where it stopped.
                        var sums = parallel?.Sum(loss, rec, kl, bound) ?? [loss, rec, kl, bound];
                        Checkpoint(epoch - 1, new PartialEpoch(epoch, batch, epochStart, sums[0], sums[1], sums[2], earlierSeconds + sw.Elapsed.TotalSeconds, sums[3]));
                        throw new TrainingInterruptedException(
                            $"{modelName}: stopped at epoch {epoch}, batch {batch} of {batches}; checkpointed, resume to continue", cancel);
                    }
                    (model as IScheduledObjective)?.Progress((long)(epoch - 1) * batches + batch, batches);
                    using var scope = NewDisposeScope();
                    var index = parallel?.Shard(batchIndex) ?? batchIndex;
                    long n = index.size(0);
                    adam.zero_grad();
                    ElboTerms? terms = null;
                    double value = 0;
                    if (n > 0) // a rank's shard of a last batch smaller than the world is empty: it adds zero gradients
                    {
                        var x = data.TrainBatch(index, noise);
                        // The batch's positions come from a permutation drawn on the host, so its row facts are read there, not from x.
                        terms = model is IRowFactsLoss byFacts && data.TrainFacts is { } facts
                            ? byFacts.Loss(x, facts.Select(index.data<long>()), noise)
                            : model.Loss(x, noise);
                        value = terms.Loss.item<double>();
                    }
                    var stepLoss = value;
                    if (parallel is null)
                    {
                        if (!double.IsFinite(value)) throw Diverged(value, epoch, batch, batches);
                        // Nothing touches the gradients between backward and step unless they are clipped.
                        if (cfg.ClipGradNorm <= 0) adam.BeginEagerStep();
                        terms!.Loss.backward();
                    }
                    else
                    {
                        parallel.BeginStep(n, batchIndex.size(0), value, cancel.IsCancellationRequested);
                        terms?.Loss.backward();
                        (stepLoss, stopAgreed) = parallel.EndStep();
                        if (!double.IsFinite(stepLoss)) throw Diverged(stepLoss, epoch, batch, batches);
                    }
                    if (cfg.ClipGradNorm > 0) nn.utils.clip_grad_norm_(model.Module.parameters(), cfg.ClipGradNorm);
                    adam.step();
                    if (terms is not null)
                    {
                        loss += value * n;
                        var (r, k, b) = Sums(boundIsElbo, terms);
                        (rec, kl, bound) = (rec + r, kl + k, bound + b);
                    }
                    batch++;
                    observer?.BatchDone(epoch, batch, stepLoss);
                }
            }
            if (parallel is not null)
            {
                (loss, rec, kl, bound) = parallel.Sum(loss, rec, kl, bound) switch { var t => (t[0], t[1], t[2], t[3]) };
                parallel.AverageBuffers(model.Module);
            }
            var trainSeconds = earlierSeconds + sw.Elapsed.TotalSeconds;
            var test = Evaluate(model, data.Test, cfg.Seed, parallel);
            double? valid = data.Validation is { } rows ? Evaluate(model, rows, cfg.Seed, parallel).Bound : null;
            var metrics = new EpochMetrics(epoch, bound / trainCount, rec / trainCount, kl / trainCount, loss / trainCount,
                test.Bound, test.Reconstruction, test.Kl, trainSeconds, sw.Elapsed.TotalSeconds, LiveTensors, Bound: model.Bound, ValidElbo: valid, Penalty: model.Penalty);
            model.Module.eval();
            if (IsWriter)
                using (no_grad())
                    foreach (var c in callbacks) metrics = c.Measure(context, metrics);
            metrics = metrics with { Seconds = sw.Elapsed.TotalSeconds, LiveTensors = LiveTensors };
            history.Add(metrics);
            Checkpoint(epoch, null);
            if (IsWriter && Selection.IsBest(history))
            {
                using var g = gen.get_state();
                new CheckpointState(modelName, configJson, epoch, g.data<byte>(), history, WorldSize: worldSize)
                    .Save(runDir, model.Module, optimizer: null, Selection.BestFolder);
            }
            if (IsWriter) Tell(c => c.EpochEnded(context, history));
            observer?.EpochDone(metrics);
        }
        if (IsWriter) Tell(c => c.Finished(context, history));
        return new TrainingResult(runDir, history, total.Elapsed, context.Files) { Traffic = parallel?.Traffic };
    }

    private TrainingDivergedException Diverged(double value, int epoch, int batch, int batches) =>
        new($"{modelName}: loss is {value} at epoch {epoch}, batch {batch + 1} of {batches}; lower learning-rate or set clip-grad-norm");

    /// <summary>
    /// The checkpoint a resumed run continues from, loaded into the model and optimizer (rank 0 alone reads it), or
    /// null for a new run, whose folder must hold none.
    /// </summary>
    private CheckpointState? Open(string runDir, bool resume, int worldSize, IVaeModel model, Zoo.Torch.Modules.Adam adam)
    {
        Directory.CreateDirectory(runDir);
        if (!resume)
        {
            if (Directory.Exists(Path.Combine(runDir, CheckpointState.Folder)))
                throw new IOException($"{runDir} already holds a trained run: resume it with --resume, or choose another --out");
            return null;
        }
        var dir = CheckpointState.Locate(runDir);
        var state = CheckpointState.Load(dir);
        if (state.Model != modelName)
            throw new InvalidDataException($"{runDir}: the checkpoint is of model '{state.Model}', not '{modelName}'");
        // Each rank's noise stream is part of the run: it resumes only with as many ranks as wrote it.
        if (state.WorldSize != worldSize)
            throw new InvalidDataException($"{runDir}: the checkpoint was written by {RankCount(state.WorldSize)}; resume it with {RankCount(state.WorldSize)}, not {RankCount(worldSize)}");
        if (worldSize > 1 && state.RankGenerators?.Count != worldSize)
            throw new InvalidDataException($"{runDir}: the checkpoint of {worldSize} ranks holds {state.RankGenerators?.Count ?? 0} rank generator states");
        model.Module.load(CheckpointState.ModelPath(dir));
        adam.load(CheckpointState.OptimizerPath(dir));
        return state;
    }

    private static string RankCount(int n) => n == 1 ? "one process" : $"{n} ranks";

    /// <summary>Runs a callback hook for each callback in eval mode without gradients.</summary>
    private void Tell(Action<ITrainingCallback> hook)
    {
        using var _ = no_grad();
        foreach (var c in callbacks) hook(c);
    }

    /// <summary>
    /// Mean reconstruction, KL and bound over a data set, without gradients, with a generator seeded afresh each call so
    /// the figures depend only on the weights. As a rank (<paramref name="parallel"/>) it evaluates its shard of the
    /// rows, with the rank's own stream of that seed, and sums over the ranks.
    /// </summary>
    public static HeldOutFigures Evaluate(IVaeModel model, Tensor data, int seed, DataParallel? parallel = null)
    {
        var boundIsElbo = model.Bound == EpochMetrics.ElboBound;
        using var _ = no_grad();
        using var gen = new Generator(parallel is null ? (ulong)seed + 1 : DataParallel.StreamSeed(seed + 1L, parallel.Rank));
        double rec = 0, kl = 0, bound = 0;
        long n = data.size(0);
        var (first, count) = parallel?.ShardOf(n) ?? (0, n);
        for (long start = first; start < first + count; start += EvalBatch)
        {
            using var scope = NewDisposeScope();
            var terms = model.Loss(data.narrow(0, start, Math.Min(EvalBatch, first + count - start)), gen);
            var (r, k, b) = Sums(boundIsElbo, terms);
            (rec, kl, bound) = (rec + r, kl + k, bound + b);
        }
        if (parallel is not null) (rec, kl, bound) = parallel.Sum(rec, kl, bound) switch { var t => (t[0], t[1], t[2]) };
        return new HeldOutFigures(rec / n, kl / n, bound / n);
    }

    /// <summary>
    /// A batch's summed reconstruction, KL and bound. An ELBO is reconstruction − KL by the contract, so its sum needs
    /// no pass or read-back of its own (one less per training step); another bound (the IWAE's) is summed.
    /// </summary>
    private static (double Reconstruction, double Kl, double Bound) Sums(bool boundIsElbo, ElboTerms terms)
    {
        double rec = terms.Reconstruction.sum().item<double>(), kl = terms.Kl.sum().item<double>();
        return (rec, kl, boundIsElbo ? rec - kl : terms.Elbo.sum().item<double>());
    }
}

/// <summary>A model's mean figures over held-out rows, in nats per example: reconstruction, KL and its bound (<see cref="IVaeModel.Bound"/>).</summary>
public sealed record HeldOutFigures(double Reconstruction, double Kl, double Bound);
