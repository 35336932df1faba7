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
/// A chunk's decoder rows are cut into cache-sized slices, which both cores take one at a time until none is left.
/// </summary>
public static class ImportanceSampling
{
    /// <summary>
    /// Decoder rows per chunk (samples × examples). The decoder sees a chunk in slices, so the budget bounds only the
    /// chunk's draws: 50,000 rows of 50 latents are 10 MB, within the L3 cache. Each chunk costs a wait for its last
    /// slice and a dozen libtorch ops around its draws and its log-sum-exp. Timed on the IWAE set-up (k = 5000, 200
    /// images): chunks of 12,500 rows waited 64 ms and spent 410 ms on those ops in 2.6 s, chunks of 50,000 10 and 235
    /// ms; 12,500 ran at 0.85× the throughput of 50,000, and so did 200,000 (40 MB of draws).
    /// </summary>
    public const int RowBudget = 50_000;

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
                // order; then the decoder rows, in slices over both cores.
                var (z, logQ) = q.SampleWithLogProb(generator, kc);
                using var logJoint = LogJointInSlices(model, xb, z, maxRows);
                partial.Add((logJoint - logQ).logsumexp(0).MoveToOuterDisposeScope());
            }
            var total = stack(partial).logsumexp(0) - Math.Log(k);
            total.to(float64).data<double>().CopyTo(result.AsSpan((int)start, (int)b));
        }
        return result;
    }

    /// <summary>Decoder rows of a chunk from which its slices go over both cores (Threading.SideBySide).</summary>
    private const long SideBySideRows = 2048;

    /// <summary>
    /// Decoder rows per slice: 512 rows of 784 logits (1.6 MB) and the hidden layers stay in a core's caches between the
    /// GEMMs and the elementwise passes that read them. Measured on the IWAE set-up (784-200-200-50, k = 5000): slices of
    /// 250–1,000 rows ran 1.1–1.3× the throughput of whole 6,250-row lanes.
    /// </summary>
    private const long SliceRows = 512;

    /// <summary>
    /// log p(x, z) of the samples <paramref name="z"/> [s, b, d] of the batch <paramref name="xb"/> [b, D]: [s, b]. The
    /// decoder sees the s · b rows in slices, which both cores take one at a time until none is left: a core the host
    /// holds up costs at most the slice it holds. (The samples cut in two fixed halves, one per core, left one core
    /// waiting out the other for 15–20 % of the time on this VM.) With many samples per example (k in the thousands, a
    /// few examples a batch) a slice is one example's samples against its row of x repeated by a stride of 0; with few,
    /// a slice takes rows sample-major (row r is example r mod b) with its own examples' rows of x gathered. Either way
    /// no copy of x for all k samples is made. Rows are independent, so neither the slicing, nor the order, nor which
    /// core takes a slice leaves a row's figure other than it was.
    /// </summary>
    private static Tensor LogJointInSlices(IImportanceSampled model, Tensor xb, Tensor z, long maxRows)
    {
        long s = z.size(0), b = z.size(1), d = z.size(2), rows = s * b;
        long slice = Math.Min(maxRows, SliceRows);
        // The gathered x was 4 % of an IWAE evaluation (k = 5000): 512 rows of 784 floats copied for every slice.
        bool perExample = s >= slice / 2;
        using var zs = perExample ? null : z.reshape(rows, d); // sample-major rows
        var slices = new List<(long Example, long From, long Length)>();
        for (long e = 0; e < (perExample ? b : 1); e++)
            for (long from = 0, end = perExample ? s : rows; from < end; from += slice)
                slices.Add((perExample ? e : -1, from, Math.Min(slice, end - from)));
        var pieces = new Tensor[slices.Count];
        int next = -1;
        int TakeSlices()
        {
            for (int i; (i = Interlocked.Increment(ref next)) < slices.Count;) pieces[i] = Piece(slices[i]);
            return 0;
        }
        if (slices.Count >= 2 && rows >= SideBySideRows) Threading.SideBySide(TakeSlices, TakeSlices);
        else TakeSlices();
        using var all = pieces.Length == 1 ? pieces[0].alias() : cat(pieces);
        foreach (var piece in pieces) piece.Dispose();
        // Example-major back to sample-major, contiguous: the log-sum-exp then reduces over one layout either way.
        return perExample ? all.reshape(b, s).t().contiguous() : all.reshape(s, b);

        Tensor Piece((long Example, long From, long Length) p)
        {
            if (p.Example >= 0)
            {
                using var samples = z.narrow(1, p.Example, 1).reshape(s, d);
                using var zSlice = samples.narrow(0, p.From, p.Length).contiguous();
                using var xRepeated = xb.narrow(0, p.Example, 1).expand(p.Length, xb.size(1));
                return model.LogJoint(xRepeated, zSlice);
            }
            var examples = new long[p.Length];
            for (long i = 0; i < p.Length; i++) examples[i] = (p.From + i) % b;
            using var index = tensor(examples);
            using var xs = xb.index_select(0, index);
            using var zRows = zs!.narrow(0, p.From, p.Length);
            return model.LogJoint(xs, zRows);
        }
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
