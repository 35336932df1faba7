using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Evaluation;

/// <summary>
/// How a trained model uses its latent space (seed 002's pitfalls): the activity of each dimension,
/// A_u = Cov_x(E_q[z_u | x]) (Burda et al. 2016), which counts as active above <see cref="ActivityThreshold"/>, and
/// where the prior factorises, the mean KL(q(z_u|x) || p(z_u)) of each dimension. A posterior that has collapsed onto
/// the prior shows as inactive units with KL ≈ 0.
/// </summary>
public sealed record LatentDiagnostics(double[] Activity, double[]? KlPerDimension)
{
    public const double ActivityThreshold = 0.01;

    public int ActiveUnits => Activity.Count(a => a > ActivityThreshold);

    public static LatentDiagnostics Compute(IVaeModel model, Tensor x, int batch = 1000)
    {
        using var _ = no_grad();
        var prior = (model as ILatentPrior)?.Prior as IFactorizedPrior;
        long n = x.size(0);
        int d = model.LatentDim;
        var means = new List<Tensor>();
        var kl = new double[d];
        try
        {
            for (long start = 0; start < n; start += batch)
            {
                using var scope = NewDisposeScope();
                var q = model.Encode(x.narrow(0, start, Math.Min(batch, n - start)));
                means.Add(q.Mean.MoveToOuterDisposeScope());
                if (prior is not null)
                {
                    var sums = prior.AnalyticKlPerDimension(q).sum(0).to(float64).data<double>();
                    for (int u = 0; u < d; u++) kl[u] += sums[u];
                }
            }
            using var scope2 = NewDisposeScope();
            var all = cat(means);
            var variance = (all - all.mean(0, keepdim: true)).square().sum(0) / Math.Max(1, n - 1);
            var activity = variance.to(float64).data<double>();
            return new LatentDiagnostics(activity, prior is null ? null : kl.Select(v => v / n).ToArray());
        }
        finally
        {
            foreach (var m in means) m.Dispose();
        }
    }
}
