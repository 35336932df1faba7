using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Zoo.Torch;
using Zoo.Torch.Distributed;
using Zoo.Torch.Modules;
using static Zoo.Torch.torch;

namespace Zoo.Core.Training;

/// <summary>
/// What the trainer does differently as one of several ranks: each rank takes its contiguous shard of every global
/// batch (the configured batch size stays the global one), the gradients are summed with each rank's share of the
/// batch as its weight (so the step is the single process's mean-gradient step), and the epoch's sums and the test
/// evaluation are summed over the ranks. Rank 0 alone reads and writes the run folder: it opens the checkpoint and
/// broadcasts the parameters, Adam's state and the run's history to the others.
/// Model initialisation and shuffles come from the seed's own stream, the same on every rank; what a model draws (its
/// samples, stochastic binarisation) comes from a stream of the rank's own (<see cref="StreamSeed"/>), so shards do
/// not share noise. A model that draws noise therefore trains on other draws than a single process does; a
/// noise-free one reaches the single process's parameters (to float32 rounding).
/// </summary>
public sealed class DataParallel(ProcessGroup ranks, IReadOnlyList<Parameter> parameters) : IDisposable
{
    private readonly GradientReducer reducer = new(ranks, parameters);
    private readonly float[] extra = new float[2]; // the step's loss (weighted) and stop request, summed with the gradients

    public ProcessGroup Ranks => ranks;
    public int Rank => ranks.Rank;
    public int WorldSize => ranks.WorldSize;
    public bool IsWriter => ranks.Rank == 0;

    /// <summary>The seed of rank <paramref name="rank"/>'s own stream derived from <paramref name="seed"/> (SplitMix64).</summary>
    public static ulong StreamSeed(long seed, int rank)
    {
        ulong z = (ulong)seed * 0x9E3779B97F4A7C15UL + (ulong)(rank + 1) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>This rank's rows of <paramref name="rows"/>: contiguous, the first rows % world ranks one row more.</summary>
    public (long Start, long Count) ShardOf(long rows)
    {
        long each = rows / WorldSize, extra = rows % WorldSize;
        return (Rank * each + Math.Min(Rank, extra), each + (Rank < extra ? 1 : 0));
    }

    /// <summary>This rank's shard of a global batch's positions.</summary>
    public Tensor Shard(Tensor globalIndex)
    {
        var (start, count) = ShardOf(globalIndex.size(0));
        return globalIndex.narrow(0, start, count);
    }

    /// <summary>
    /// Before backward: this rank's share of the global batch (its gradients' weight, so the sum over the ranks is the
    /// global batch's mean gradient), its loss and whether it was asked to stop. Buckets of gradients leave while
    /// backward runs (except with <see cref="ProfileWaits"/>).
    /// </summary>
    public void BeginStep(long shardRows, long batchRows, double shardLoss, bool stop)
    {
        double share = (double)shardRows / batchRows;
        (extra[0], extra[1]) = ((float)(shardRows > 0 ? shardLoss * share : 0), stop ? 1 : 0);
        reducer.Prepare(share, extra, overlap: !ProfileWaits);
    }

    /// <summary>After backward: the summed gradients are in place; the global batch's loss, and whether any rank asked to stop.</summary>
    public (double Loss, bool Stop) EndStep()
    {
        if (ProfileWaits)
        {
            // A barrier first takes the wait for the slowest rank out of the all-reduce's time (one more round trip a step).
            var arrived = System.Diagnostics.Stopwatch.GetTimestamp();
            ranks.Barrier();
            waitTime += System.Diagnostics.Stopwatch.GetElapsedTime(arrived);
        }
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        reducer.Finish(extra);
        reduceTime += System.Diagnostics.Stopwatch.GetElapsedTime(started);
        reducedSteps++;
        overlappedBuckets += reducer.Overlap.DuringBackward;
        return (extra[0], extra[1] > 0);
    }

    private readonly long reducedBytes = parameters.Sum(p => p.numel()) * sizeof(float) + 2 * sizeof(float);

    public void Dispose() => reducer.Dispose();

    private TimeSpan reduceTime, waitTime;
    private long reducedSteps, overlappedBuckets;

    /// <summary>
    /// ZOO_DIST_PROFILE=1, for benchmarks: every bucket leaves after backward, behind a barrier, so the all-reduce's time
    /// is the transfer alone and the wait for the slowest rank is timed apart. Otherwise buckets overlap backward and
    /// the time is what backward did not hide, waits included.
    /// </summary>
    public static bool ProfileWaits { get; } = Environment.GetEnvironmentVariable("ZOO_DIST_PROFILE") == "1";

    /// <summary>The gradient all-reduces of this process so far (the time <see cref="EndStep"/> waited).</summary>
    public GradientTraffic Traffic => new(reducedSteps, reduceTime, reducedBytes, WorldSize)
    {
        Wait = ProfileWaits ? waitTime : null,
        Buckets = reducer.Overlap.Buckets,
        BucketsDuringBackward = reducedSteps == 0 ? 0 : (double)overlappedBuckets / reducedSteps,
    };

    /// <summary>Sums of <paramref name="values"/> over the ranks.</summary>
    public double[] Sum(params double[] values) => ranks.AllReduceSum(values);

    /// <summary>
    /// Averages <paramref name="model"/>'s floating-point buffers (batch norm's running estimates) over the ranks, in
    /// place: each rank's follow only its shards, so after an epoch every rank evaluates with, and rank 0 checkpoints,
    /// their mean (timm's distribute_bn with reduce). Integer buffers (batches seen) are the same on every rank.
    /// </summary>
    public void AverageBuffers(nn.Module model)
    {
        var floats = model.named_buffers().Select(b => b.buffer).Where(b => b.dtype == ScalarType.Float32).ToArray();
        if (floats.Length == 0) return;
        ranks.AllReduceSum(floats);
        foreach (var buffer in floats) buffer.mul_(1.0 / WorldSize);
    }

    /// <summary>Every rank's generator state, in rank order (for rank 0's checkpoint).</summary>
    public IReadOnlyList<byte[]> GatherStates(Generator noise)
    {
        using var state = noise.get_state();
        return ranks.AllGather(state.data<byte>());
    }

    /// <summary>
    /// Rank 0 sends the run's start to every rank: the checkpoint it resumes from (or none), then the parameters and
    /// Adam's state; or <paramref name="error"/>, which every other rank then throws too (the same message, once per
    /// rank, so a launcher that merges identical lines prints it once).
    /// </summary>
    public CheckpointState? Start(CheckpointState? state, string? error, nn.Module model, Adam adam)
    {
        byte[]? sent = null;
        if (IsWriter)
        {
            var message = error is not null ? new JsonObject { ["error"] = error }
                : new JsonObject
                {
                    ["state"] = state?.ToJson(),
                    ["optimizer"] = new JsonObject(adam.state_dict().Metadata.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
                };
            sent = Encoding.UTF8.GetBytes(message.ToJsonString());
        }
        var received = JsonNode.Parse(Encoding.UTF8.GetString(ranks.Broadcast(sent)))!.AsObject();
        if (received["error"]?.GetValue<string>() is { } problem)
        {
            if (IsWriter) return null; // the caller throws its own exception
            throw new DistributedException(problem);
        }
        var (moments, metadata) = adam.state_dict();
        ranks.Broadcast([.. model.parameters(), .. moments.Values]);
        if (IsWriter) return state;
        var optimizer = received["optimizer"]!.AsObject().ToDictionary(kv => kv.Key, kv => kv.Value!.GetValue<string>());
        adam.load_state_dict(moments, optimizer);
        return received["state"]?.GetValue<string>() is { } json ? CheckpointState.FromJson(json, "rank 0's checkpoint") : null;
    }
}

/// <summary>
/// The gradient all-reduces of a run: steps, the time spent in them (a rank waits there for the slowest rank too) and
/// the bytes each rank contributes per step (its flat gradient buckets plus the step's loss and stop slots).
/// </summary>
public sealed record GradientTraffic(long Steps, TimeSpan Time, long BytesPerStep, int WorldSize)
{
    /// <summary>With ZOO_DIST_PROFILE=1: the time spent waiting for the slowest rank, apart from <see cref="Time"/>.</summary>
    public TimeSpan? Wait { get; init; }

    /// <summary>Gradient buckets per step, and how many of them left while backward still ran (a mean over the steps).</summary>
    public int Buckets { get; init; }
    public double BucketsDuringBackward { get; init; }

    public double MillisecondsPerStep => Steps == 0 ? 0 : Time.TotalMilliseconds / Steps;
}
