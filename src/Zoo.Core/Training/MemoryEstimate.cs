using System.Globalization;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Training;

/// <summary>A model or an evaluation that would not fit in the memory available; the message is one line.</summary>
public sealed class NotEnoughMemoryException(string message) : InvalidOperationException(message);

/// <summary>
/// What a training run will hold at its peak, measured rather than guessed: the model is built and takes one training
/// step (forward and backward at the configured batch size, with every sample or pass the model makes) and one
/// evaluation batch on libtorch's meta device (<see cref="torch.MetaAllocation"/>), where tensors have shapes but no
/// storage, while the shim counts the bytes they would hold. That takes milliseconds whatever the size, allocates
/// nothing, and covers every layer and loss the way it really runs, plugins included.
/// </summary>
/// <param name="Model">the model's name, for the message</param>
/// <param name="Parameters">bytes of the model's parameters</param>
/// <param name="Gradients">bytes of their gradients</param>
/// <param name="OptimizerState">bytes of the optimizer's state (Adam's two moments)</param>
/// <param name="Activations">the step's peak above parameters, gradients and optimizer state: activations kept for backward and the transients of backward (or of the evaluation batch, when that is larger)</param>
/// <param name="ActivationsAt">where that peak is reached, for the message: "batch 1000 × 1000 samples"</param>
/// <param name="Hint">the keys that lower it: "hidden, latent, batch-size or samples"</param>
public sealed record MemoryEstimate(string Model, long Parameters, long Gradients, long OptimizerState, long Activations,
    string ActivationsAt, string Hint)
{
    /// <summary>
    /// The estimate must fit with this factor to spare: glibc keeps freed blocks (the shim raises its trim threshold), and
    /// the data, the runtime and the callbacks' figures need some room besides the tensors counted.
    /// </summary>
    public const double Headroom = 1.1;

    public long Total => Parameters + Gradients + OptimizerState + Activations;

    public override string ToString() =>
        $"{Model} needs about {Size(Total)} (parameters {Size(Parameters)}, gradients {Size(Gradients)}, Adam state {Size(OptimizerState)}, " +
        $"activations at {ActivationsAt} {Size(Activations)})";

    /// <summary>Throws <see cref="NotEnoughMemoryException"/> when the run cannot fit in <paramref name="available"/> bytes (default: <see cref="AvailableMemory.Bytes"/>).</summary>
    public void EnsureFits(long? available = null)
    {
        long free = available ?? AvailableMemory.Bytes();
        if (Total * Headroom <= free) return;
        var spare = Total <= free ? $" (it needs {Math.Round((Headroom - 1) * 100)} % to spare)" : "";
        throw new NotEnoughMemoryException($"{this} but {Size(free)} is available{spare}; lower {Hint}");
    }

    /// <summary>
    /// Measures a training run of the model <paramref name="createModel"/> builds on <paramref name="data"/>'s inputs; null
    /// when the model cannot run on the meta device (an op of a plugin reads values, say), and then nothing is checked.
    /// </summary>
    public static MemoryEstimate? ForTraining(string modelName, Func<Generator, IVaeModel> createModel, TrainingConfig cfg, TrainingData data)
    {
        long batch = Math.Min(cfg.BatchSize, Math.Max(1, data.EpochCount));
        long evalBatch = Math.Min(Trainer.EvalBatch, Math.Max(1, data.Test.size(0)));
        var shape = data.TrainInputs.shape;
        var dtype = data.Test.dtype; // what the model sees (training inputs may be kept narrower, as bytes)
        try
        {
            using var meta = MetaAllocation();
            using var scope = NewDisposeScope();
            using var gen = new Generator((ulong)cfg.Seed);
            using var model = createModel(gen);
            var parameters = model.Module.parameters();
            long parameterBytes = parameters.Sum(p => p.nbytes());
            long beforeAdam = MetaMemory.Current;
            using var adam = optim.Adam(parameters, lr: cfg.LearningRate);
            long adamBytes = MetaMemory.Current - beforeAdam;

            // One training step: the peak above what the model and optimizer hold.
            model.Module.train();
            ResetMetaPeak();
            long before = MetaMemory.Current;
            using (var step = NewDisposeScope())
            {
                var x = empty([batch, .. shape[1..]], dtype);
                var terms = model.Loss(x, gen);
                terms.Loss.backward();
            }
            long stepPeak = MetaMemory.Peak - before;
            long gradients = MetaMemory.Current - before;  // what the step leaves: the parameters' gradients

            // One evaluation batch without gradients, while the gradients are still held (as between epochs).
            model.Module.eval();
            ResetMetaPeak();
            long beforeEval = MetaMemory.Current;
            using (no_grad())
            using (var eval = NewDisposeScope())
                model.Loss(empty([evalBatch, .. shape[1..]], dtype), gen);
            long evalPeak = MetaMemory.Peak - beforeEval;

            var passes = model as IRepeatedPasses;
            string Where(long rows, bool training) =>
                $"{(training ? "" : "evaluation ")}batch {rows}{(passes is { Passes: > 1 } r ? $" × {r.Passes} {r.PassesName}" : "")}";
            bool trainingPeak = stepPeak - gradients >= evalPeak;
            var hint = passes?.PassesKey is { } key ? $"hidden, latent, batch-size or {key}" : "hidden, latent or batch-size";
            return new MemoryEstimate(modelName, parameterBytes, gradients, adamBytes,
                Math.Max(stepPeak - gradients, evalPeak), trainingPeak ? Where(batch, true) : Where(evalBatch, false), hint);
        }
        catch (TorchException)
        {
            // Some op of this model has no meta kernel and no stand-in in the shim: train unchecked, as before.
            return null;
        }
    }

    /// <summary>
    /// Bytes that one importance sample row costs in <see cref="Evaluation.ImportanceSampling.LogMarginal"/> (encoder,
    /// the sample, the decoder and the log densities, without gradients), measured on a meta copy of the model that
    /// <paramref name="createModel"/> builds; null when the model cannot run on the meta device.
    /// </summary>
    public static long? BytesPerImportanceRow(Func<Generator, IVaeModel> createModel, long[] inputShape, ScalarType dtype)
    {
        const long probe = 1024;
        try
        {
            using var meta = MetaAllocation();
            using var scope = NewDisposeScope();
            using var gen = new Generator(0);
            using var model = createModel(gen);
            if (model is not IImportanceSampled sampled) return null;
            model.Module.eval();
            using var noGrad = no_grad();
            ResetMetaPeak();
            long before = MetaMemory.Current;
            using (var rows = NewDisposeScope())
            {
                var x = empty([probe, .. inputShape[1..]], dtype);
                var q = sampled.Encode(x);
                var z = q.Sample(gen, 1);
                var logQ = q.LogProb(z);
                var flat = z.reshape(probe, z.size(-1));
                using var logW = sampled.LogJoint(x.contiguous(), flat) - logQ.reshape(probe);
            }
            return Math.Max(1, (MetaMemory.Peak - before + probe - 1) / probe);
        }
        catch (TorchException)
        {
            return null;
        }
    }

    /// <summary>"38.2 GiB", "512 MiB", "12 KiB".</summary>
    public static string Size(double bytes)
    {
        string[] units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
        int u = 0;
        while (Math.Abs(bytes) >= 1024 && u < units.Length - 1) { bytes /= 1024; u++; }
        return u == 0 ? $"{bytes:0} bytes" : string.Create(CultureInfo.InvariantCulture, $"{bytes:0.0} {units[u]}");
    }
}

/// <summary>
/// Memory this process may still take: MemAvailable from /proc/meminfo, bounded by the cgroup's limit less its usage
/// (v2: memory.max − memory.current at every level up to the root, reclaimable page cache counted as free; v1:
/// memory.limit_in_bytes − memory.usage_in_bytes). <see cref="Variable"/> overrides it (bytes, or with a KiB, MiB, GiB
/// or TiB suffix), so a test can force a refusal cheaply.
/// </summary>
public static class AvailableMemory
{
    public const string Variable = "ZOO_MEMORY_AVAILABLE";

    public static long Bytes()
    {
        if (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } text)
            return Parse(text) ?? throw new FormatException($"{Variable} = '{text}' is not a size (bytes, or a number with KiB, MiB, GiB or TiB)");
        long available = MemAvailable() ?? long.MaxValue;
        if (CgroupRoom() is { } room) available = Math.Min(available, room);
        return available;
    }

    /// <summary>"1000000", "512MiB", "21.3 GiB", "2G"; null when it is not a size.</summary>
    public static long? Parse(string text)
    {
        var t = text.Trim();
        int end = t.Length;
        while (end > 0 && char.IsLetter(t[end - 1])) end--;
        var unit = t[end..].ToUpperInvariant();
        long scale = unit switch
        {
            "" or "B" => 1,
            "K" or "KB" or "KIB" => 1L << 10,
            "M" or "MB" or "MIB" => 1L << 20,
            "G" or "GB" or "GIB" => 1L << 30,
            "T" or "TB" or "TIB" => 1L << 40,
            _ => 0,
        };
        if (scale == 0 || !double.TryParse(t[..end].Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out var v) ||
            !double.IsFinite(v) || v < 0) return null;
        return (long)Math.Min(long.MaxValue, v * scale);
    }

    private static long? MemAvailable()
    {
        try
        {
            foreach (var line in File.ReadLines("/proc/meminfo"))
                if (line.StartsWith("MemAvailable:", StringComparison.Ordinal))
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or FormatException) { }
        return null;
    }

    private static long? CgroupRoom()
    {
        try
        {
            long? room = null;
            foreach (var line in File.ReadLines("/proc/self/cgroup"))
            {
                var parts = line.Split(':', 3);
                if (parts.Length < 3) continue;
                if (parts[0] == "0" && parts[1] == "")
                {
                    // cgroup v2: every level from the process's group up to the root may carry a limit.
                    for (var dir = Path.Join("/sys/fs/cgroup", parts[2]); dir.StartsWith("/sys/fs/cgroup", StringComparison.Ordinal);
                         dir = Path.GetDirectoryName(dir)!)
                    {
                        if (Room(Path.Join(dir, "memory.max"), Path.Join(dir, "memory.current"), Path.Join(dir, "memory.stat"), "inactive_file") is { } r)
                            room = Math.Min(room ?? long.MaxValue, r);
                        if (dir == "/sys/fs/cgroup") break;
                    }
                }
                else if (parts[1].Split(',').Contains("memory"))
                {
                    foreach (var dir in new[] { Path.Join("/sys/fs/cgroup/memory", parts[2]), "/sys/fs/cgroup/memory" })
                        if (Room(Path.Join(dir, "memory.limit_in_bytes"), Path.Join(dir, "memory.usage_in_bytes"), Path.Join(dir, "memory.stat"), "total_inactive_file") is { } r)
                        {
                            room = Math.Min(room ?? long.MaxValue, r);
                            break;
                        }
                }
            }
            return room;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { return null; }
    }

    /// <summary>limit − (usage − reclaimable page cache), or null where there is no limit (or no such files).</summary>
    private static long? Room(string limitFile, string usageFile, string statFile, string inactiveKey)
    {
        if (!File.Exists(limitFile) || !File.Exists(usageFile)) return null;
        var limitText = File.ReadAllText(limitFile).Trim();
        if (limitText == "max" || !long.TryParse(limitText, CultureInfo.InvariantCulture, out var limit) || limit >= 1L << 60) return null;
        if (!long.TryParse(File.ReadAllText(usageFile).Trim(), CultureInfo.InvariantCulture, out var usage)) return null;
        long inactive = 0;
        if (File.Exists(statFile))
            foreach (var line in File.ReadLines(statFile))
                if (line.StartsWith(inactiveKey + " ", StringComparison.Ordinal))
                    long.TryParse(line.AsSpan(inactiveKey.Length + 1), CultureInfo.InvariantCulture, out inactive);
        return Math.Max(0, limit - (usage - inactive));
    }
}
