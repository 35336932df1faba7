using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Vfae.Vfae;

/// <summary>How the VFAE measures the distance between the s groups' representations.</summary>
public enum MmdEstimator { None, Exact, Rff }

/// <summary>
/// Maximum mean discrepancy with the Gaussian kernel k(a, b) = exp(−‖a − b‖² / (2σ²)) (Louizos et al. 2016, eq. 9):
/// MMD² = E k(a, a') + E k(b, b') − 2 E k(a, b), the biased (V-statistic) estimate over two samples. The fast
/// variant replaces the kernel by D random Fourier features φ(x) = √(2/D) cos(Wx + c), W ~ N(0, σ⁻²), c ~ U[0, 2π)
/// (Rahimi and Recht), so MMD² ≈ ‖mean φ(A) − mean φ(B)‖², linear rather than quadratic in the batch.
/// </summary>
public static class Mmd
{
    /// <summary>Exact MMD² between the rows of <paramref name="a"/> [n, d] and <paramref name="b"/> [m, d]: a scalar.</summary>
    public static Tensor Exact(Tensor a, Tensor b, double bandwidth)
    {
        using var scope = NewDisposeScope();
        double gamma = 1.0 / (2 * bandwidth * bandwidth);
        Tensor MeanKernel(Tensor x, Tensor y)
        {
            var sq = x.square().sum(1, keepdim: true) + y.square().sum(1).unsqueeze(0) - x.matmul(y.t()) * 2.0;
            return (sq.clamp_min(0) * -gamma).exp().mean();
        }
        return (MeanKernel(a, a) + MeanKernel(b, b) - MeanKernel(a, b) * 2.0).MoveToOuterDisposeScope();
    }

    /// <summary>MMD² with <paramref name="features"/> random Fourier features drawn from <paramref name="generator"/>.</summary>
    public static Tensor RandomFeatures(Tensor a, Tensor b, double bandwidth, int features, Generator generator)
    {
        using var scope = NewDisposeScope();
        long d = a.size(1);
        var w = randn([d, features], generator) / bandwidth;
        var c = rand([features], generator) * (2 * Math.PI);
        var scale = Math.Sqrt(2.0 / features);
        var phiA = (a.matmul(w) + c).cos().mean(0) * scale;
        var phiB = (b.matmul(w) + c).cos().mean(0) * scale;
        return (phiA - phiB).square().sum().MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The VFAE penalty for a batch: with two groups, MMD² between them; with more, the sum over groups of MMD²
    /// between the group and the rest. Groups absent from the batch contribute nothing, and a batch holding one
    /// group gives 0 (not NaN). <paramref name="groups"/> is each row's group index.
    /// </summary>
    public static Tensor Penalty(Tensor z, long[] groups, int groupCount, MmdEstimator estimator, double bandwidth, int features, Generator generator)
    {
        using var scope = NewDisposeScope();
        var total = zeros([]);
        if (estimator == MmdEstimator.None) return total.MoveToOuterDisposeScope();
        var present = groups.Distinct().Order().ToList();
        if (present.Count < 2) return total.MoveToOuterDisposeScope();
        IEnumerable<long> pairs = groupCount == 2 || present.Count == 2 ? [present[0]] : present;
        foreach (var g in pairs)
        {
            var inside = tensor(Enumerable.Range(0, groups.Length).Where(i => groups[i] == g).Select(i => (long)i).ToArray());
            var outside = tensor(Enumerable.Range(0, groups.Length).Where(i => groups[i] != g).Select(i => (long)i).ToArray());
            var (a, b) = (z.index_select(0, inside), z.index_select(0, outside));
            total = total + (estimator == MmdEstimator.Exact ? Exact(a, b, bandwidth) : RandomFeatures(a, b, bandwidth, features, generator));
        }
        return total.MoveToOuterDisposeScope();
    }
}
