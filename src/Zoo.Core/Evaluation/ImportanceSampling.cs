using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Evaluation;

/// <summary>
/// The importance-weighted estimate of log p(x) (Burda et al.'s IWAE bound):
/// log (1/k) Σ_i p(x, z_i) / q(z_i | x), z_i ~ q(z | x). It is a lower bound that tightens as k grows, and with
/// k = 5000 it is the figure papers report as the test NLL. The k samples of a batch are drawn in chunks of at most
/// <see cref="RowBudget"/> decoder rows, each reduced to a log-sum-exp at once, so memory stays bounded whatever k is;
/// within a chunk the samples of all the batch's examples go through the decoder as one GEMM-sized matrix.
/// </summary>
public static class ImportanceSampling
{
    /// <summary>Decoder rows per chunk (samples × examples): ~25 MB of activations per hidden layer of 500 floats.</summary>
    public const int RowBudget = 12_500;

    /// <summary>log p(x) estimates of each row of <paramref name="x"/> [N, D], in nats: [N] doubles.</summary>
    public static double[] LogMarginal(IImportanceSampled model, Tensor x, int k, Generator generator, int rowBudget = RowBudget)
    {
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
            var q = model.Encode(xb);
            long d = q.Mean.size(1), dims = xb.size(1);
            int perChunk = (int)Math.Max(1, rowBudget / b);
            var partial = new List<Tensor>();
            for (int done = 0; done < k; done += perChunk)
            {
                using var chunkScope = NewDisposeScope();
                int kc = Math.Min(perChunk, k - done);
                // z: [kc, b, d], the same q for each of the kc samples, flattened to kc·b rows for the decoder.
                var z = q.Sample(generator, kc);
                var logQ = q.LogProb(z);                                         // [kc, b]
                var rows = z.reshape(kc * b, d);
                var xs = xb.unsqueeze(0).expand(kc, b, dims).reshape(kc * b, dims);
                var logW = model.LogJoint(xs, rows).reshape(kc, b) - logQ;
                partial.Add(logW.logsumexp(0).MoveToOuterDisposeScope());      // [b]
            }
            var total = stack(partial).logsumexp(0) - Math.Log(k);
            total.to(float64).data<double>().CopyTo(result.AsSpan((int)start, (int)b));
        }
        return result;
    }
}
