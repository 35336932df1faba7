using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Evaluation;

/// <summary>
/// The importance-weighted estimate of log p(x) (Burda et al.'s IWAE bound):
/// log (1/k) Σ_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x). It is a lower bound that tightens as k grows, and with
/// k = 5000 it is the figure papers report as the test NLL. The k samples of a batch are drawn in chunks of at most
/// <see cref="RowBudget"/> decoder rows, each reduced to a log-sum-exp at once, so memory stays bounded whatever k is.
/// A chunk's samples are split into two lanes that run side by side, one per core, each sending its samples of all the
/// batch's examples through the decoder in cache-sized slices.
/// </summary>
public static class ImportanceSampling
{
    /// <summary>Decoder rows per chunk (samples × examples): ~25 MB of activations per hidden layer of 500 floats.</summary>
    public const int RowBudget = 12_500;

    /// <summary>
    /// log p(x) estimates of each row of <paramref name="x"/> [N, D], in nats: [N] doubles. <paramref name="maxRows"/> caps
    /// the rows that go through the encoder or the decoder at once (memory): a chunk larger than that is evaluated in
    /// slices of rows. The draws and the chunks stay those of <paramref name="rowBudget"/>, and each row's figures do not
    /// depend on its neighbours, so the estimates are the same whatever <paramref name="maxRows"/> is.
    /// </summary>
    public static double[] LogMarginal(IImportanceSampled model, Tensor x, int k, Generator generator, int rowBudget = RowBudget,
        long maxRows = long.MaxValue)
    {
        if (maxRows < 1) throw new ArgumentOutOfRangeException(nameof(maxRows), maxRows, "at least one row at a time");
        if (k < 1) throw new ArgumentOutOfRangeException(nameof(k), k, "importance samples must be at least 1");
        using var _ = no_grad();
        long n = x.size(0);
        // Enough examples per batch that a chunk still holds a few hundred rows when k is small.
        long batch = Math.Clamp(rowBudget / Math.Min(k, rowBudget), 1, Math.Max(1, n));
        var result = new double[n];
        for (long start = 0; start < n; start += batch)
        {
            using var scope = NewDisposeScope();
            long b = Math.Min(batch, n - start);
            var xb = x.narrow(0, start, b);
            var q = Sliced(b, maxRows, (from, len) => model.Encode(xb.narrow(0, from, len)));
            int perChunk = (int)Math.Max(1, rowBudget / b);
            var partial = new List<Tensor>();
            for (int done = 0; done < k; done += perChunk)
            {
                using var chunkScope = NewDisposeScope();
                int kc = Math.Min(perChunk, k - done);
                // z: [kc, b, d], the same q for each of the kc samples. The draws come first, in the generator's
                // order; the rest of the chunk runs as two lanes side by side.
                var z = q.Sample(generator, kc);
                Tensor Lane(int first, int count) => LaneLogSumExp(model, q, xb, z.narrow(0, first, count), maxRows);
                if (kc >= 2 && kc * b >= SideBySideRows)
                {
                    var (early, late) = Threading.SideBySide(() => Lane(0, kc / 2), () => Lane(kc / 2, kc - kc / 2));
                    partial.Add(early.MoveToOuterDisposeScope());
                    partial.Add(late.MoveToOuterDisposeScope());
                }
                else
                {
                    partial.Add(Lane(0, kc).MoveToOuterDisposeScope());
                }
            }
            var total = stack(partial).logsumexp(0) - Math.Log(k);
            total.to(float64).data<double>().CopyTo(result.AsSpan((int)start, (int)b));
        }
        return result;
    }

    /// <summary>Decoder rows of a chunk from which its samples are split into two lanes, one per core (Threading.SideBySide).</summary>
    private const long SideBySideRows = 2048;

    /// <summary>
    /// Decoder rows per slice: 512 rows of 784 logits (1.6 MB) and the hidden layers stay in a core's caches between the
    /// GEMMs and the elementwise passes that read them. Measured on the IWAE set-up (784-200-200-50, k = 5000): slices of
    /// 250–1,000 rows ran 1.1–1.3× the throughput of whole 6,250-row lanes.
    /// </summary>
    private const long SliceRows = 512;

    /// <summary>
    /// log Σ_i p(x, z_i) / q(z_i | x) over the samples <paramref name="z"/> [s, b, d] of the batch <paramref name="xb"/> [b, D]:
    /// [b]. The decoder sees the s · b rows in slices. With many samples per example (k in the thousands, a few examples a
    /// batch) each example's samples go through on their own, against its one row of x repeated by a stride of 0; with
    /// few, the slices take the rows sample-major (row r is example r mod b), each with its own examples' rows of x
    /// gathered. Either way no copy of x for all k samples is made. Rows are independent, so neither the slicing nor the
    /// order leaves a row's figure other than it was.
    /// </summary>
    private static Tensor LaneLogSumExp(IImportanceSampled model, DiagonalGaussian q, Tensor xb, Tensor z, long maxRows)
    {
        long s = z.size(0), b = z.size(1), d = z.size(2), rows = s * b;
        long slice = Math.Min(maxRows, SliceRows);
        var pieces = new List<Tensor>();
        Tensor logJoint;
        if (s >= slice / 2)
        {
            // The gathered x was 4 % of an IWAE evaluation (k = 5000): 512 rows of 784 floats copied for every slice.
            for (long e = 0; e < b; e++)
            {
                var ze = z.narrow(1, e, 1).reshape(s, d);
                var xe = xb.narrow(0, e, 1);
                for (long from = 0; from < s; from += slice)
                {
                    long len = Math.Min(slice, s - from);
                    using var zSlice = ze.narrow(0, from, len).contiguous();
                    using var xRepeated = xe.expand(len, xb.size(1));
                    pieces.Add(model.LogJoint(xRepeated, zSlice));
                }
            }
            // Example-major back to sample-major, contiguous: the log-sum-exp then reduces over the same layout as below.
            logJoint = (pieces.Count == 1 ? pieces[0] : cat(pieces)).reshape(b, s).t().contiguous();
        }
        else
        {
            var zs = z.reshape(rows, d);
            for (long from = 0; from < rows; from += slice)
            {
                long len = Math.Min(slice, rows - from);
                var examples = new long[len];
                for (long i = 0; i < len; i++) examples[i] = (from + i) % b;
                using var index = tensor(examples);
                pieces.Add(model.LogJoint(xb.index_select(0, index), zs.narrow(0, from, len)));
            }
            logJoint = (pieces.Count == 1 ? pieces[0] : cat(pieces)).reshape(s, b);
        }
        return (logJoint - q.LogProb(z)).logsumexp(0);
    }

    /// <summary>q(z|x) of <paramref name="n"/> rows, encoded in slices of at most <paramref name="maxRows"/>.</summary>
    private static DiagonalGaussian Sliced(long n, long maxRows, Func<long, long, DiagonalGaussian> encode)
    {
        if (n <= maxRows) return encode(0, n);
        var parts = new List<DiagonalGaussian>();
        for (long from = 0; from < n; from += maxRows) parts.Add(encode(from, Math.Min(maxRows, n - from)));
        return new DiagonalGaussian(cat(parts.Select(p => p.Mean).ToList()), cat(parts.Select(p => p.LogVar).ToList()));
    }

    /// <summary>
    /// <paramref name="run"/>'s model as importance sampling needs it, or a one-line refusal that names the ability it
    /// lacks (a WAE with a deterministic encoder has a joint but no proposal) and what therefore cannot be done.
    /// </summary>
    public static IImportanceSampled Require(TrainedRun run, string consequence) => run.Model as IImportanceSampled
        ?? throw new InvalidOperationException($"model '{run.Plugin.Name}' is not importance-sampled: it gives no proposal q(z|x) " +
                                               $"beside its joint log p(x, z) (IImportanceSampled), so {consequence}");

    /// <summary>
    /// The most rows of importance samples that may go through <paramref name="run"/>'s networks at once in the memory
    /// available (<see cref="MemoryEstimate.BytesPerImportanceRow"/>, measured on the meta device); unbounded when the
    /// model cannot be measured. Throws <see cref="NotEnoughMemoryException"/> when not even one row fits.
    /// </summary>
    public static long RowsThatFit(TrainedRun run, int k)
    {
        var test = run.Data.Test;
        var perRow = MemoryEstimate.BytesPerImportanceRow(g => run.Config.CreateModel(run.Shape, g), test.shape, test.dtype);
        if (perRow is not { } bytes) return long.MaxValue;
        long available = AvailableMemory.Bytes();
        long rows = (long)(available / MemoryEstimate.Headroom) / bytes;
        if (rows < 1)
            throw new NotEnoughMemoryException(
                $"{run.Plugin.Name}: importance sampling (k = {k}) needs about {MemoryEstimate.Size(bytes * MemoryEstimate.Headroom)} for a single row " +
                $"of samples but {MemoryEstimate.Size(available)} is available; free memory or evaluate a smaller model");
        return rows;
    }
}
