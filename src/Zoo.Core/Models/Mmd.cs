using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Models;

/// <summary>How the Gaussian-kernel MMD between groups of codes is estimated (the VFAE's `mmd` key): not at all, exactly, or with random Fourier features.</summary>
public enum MmdEstimator { None, Exact, Rff }

/// <summary>
/// The kernel of <see cref="Mmd.Unbiased"/>, each summed over the scales s·C (<see cref="Mmd.Scales"/>): the inverse
/// multiquadratic (Imq) C/(C + ‖x − y‖²), whose heavy tails still penalise codes far from the prior (Tolstikhin et al.
/// 2018, section 4), or the Gaussian (Rbf) exp(−‖x − y‖²/C).
/// </summary>
public enum MmdKernel { Imq, Rbf }

/// <summary>
/// Maximum mean discrepancy between two samples, shared by the models that penalise it (the VFAE between s groups,
/// the WAE between codes and the prior).
/// <para>
/// The VFAE's: the Gaussian kernel k(a, b) = exp(−‖a − b‖² / (2σ²)) (Louizos et al. 2016, eq. 9) with
/// MMD² = E k(a, a') + E k(b, b') − 2 E k(a, b), the biased (V-statistic) estimate over two samples. The fast
/// variant replaces the kernel by D random Fourier features φ(x) = √(2/D) cos(Wx + c), W ~ N(0, σ⁻²), c ~ U[0, 2π)
/// (Rahimi and Recht), so MMD² ≈ ‖mean φ(A) − mean φ(B)‖², linear rather than quadratic in the batch.
/// </para>
/// <para>
/// The WAE's (<see cref="Unbiased"/>): the unbiased U-statistic of Tolstikhin et al. (2018), Algorithm 2, with a
/// <see cref="MmdKernel"/> summed over the authors' scales.
/// </para>
/// </summary>
public static class Mmd
{
    /// <summary>
    /// The multiples of the base scale C that <see cref="Unbiased"/> sums its kernel over: those of the authors' code
    /// (tolstikhin/wae, wae.py, mmd_penalty), so no single guess of the codes' spread decides the penalty.
    /// </summary>
    public static IReadOnlyList<double> Scales { get; } = [0.1, 0.2, 0.5, 1, 2, 5, 10];

    /// <summary>Exact MMD² between the rows of <paramref name="a"/> [n, d] and <paramref name="b"/> [m, d]: a scalar.</summary>
    public static Tensor Exact(Tensor a, Tensor b, double bandwidth)
    {
        using var scope = NewDisposeScope();
        double gamma = 1.0 / (2 * bandwidth * bandwidth);
        Tensor MeanKernel(Tensor x, Tensor y) => (SquaredDistances(x, y) * -gamma).exp().mean();
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

    /// <summary>
    /// The unbiased estimate of MMD² between the rows of <paramref name="a"/> [n, d] and <paramref name="b"/> [m, d]
    /// (Tolstikhin et al. 2018, Algorithm 2): 1/(n(n−1)) Σ_{i≠j} k(a_i, a_j) + 1/(m(m−1)) Σ_{i≠j} k(b_i, b_j)
    /// − 2/(nm) Σ_{i,j} k(a_i, b_j), the kernel summed over s·<paramref name="scale"/> for s in <see cref="Scales"/>
    /// (<paramref name="scale"/>: a scalar tensor, C = 2·d·σ² for codes against N(0, σ²I)). A scalar, which may be
    /// slightly negative; each sample needs two rows.
    /// </summary>
    public static Tensor Unbiased(Tensor a, Tensor b, MmdKernel kernel, Tensor scale)
    {
        long n = a.size(0), m = b.size(0);
        if (n < 2 || m < 2) throw new ArgumentException($"the unbiased MMD needs two rows of each sample; found {n} and {m}");
        using var scope = NewDisposeScope();
        Tensor Kernel(Tensor x, Tensor y)
        {
            var r = SquaredDistances(x, y);
            Tensor sum = null!;
            foreach (var s in Scales)
            {
                var c = scale * s;
                var k = kernel == MmdKernel.Imq ? c / (c + r) : (-(r / c)).exp();
                sum = sum is null ? k : sum + k;
            }
            return sum;
        }
        Tensor Within(Tensor x, long rows) => (Kernel(x, x) * OffDiagonal(rows, x.dtype)).sum() / (rows * (rows - 1.0));
        return (Within(a, n) + Within(b, m) - Kernel(a, b).sum() * (2.0 / (n * m))).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// E‖z − z'‖² for two independent rows of the distribution that <paramref name="sample"/> [n, d] was drawn from,
    /// 2·Σ_d Var z_d, estimated without bias (n ≥ 2): 2·d·σ² for N(0, σ²I), the paper's C. A scalar.
    /// </summary>
    public static Tensor ExpectedSquaredDistance(Tensor sample)
    {
        long n = sample.size(0);
        if (n < 2) throw new ArgumentException($"a spread needs two rows; found {n}");
        using var scope = NewDisposeScope();
        return ((sample - sample.mean(0, keepdim: true)).square().sum() * (2.0 / (n - 1))).MoveToOuterDisposeScope();
    }

    /// <summary>‖x_i − y_j‖² for the rows of <paramref name="x"/> [n, d] and <paramref name="y"/> [m, d]: [n, m], rounding below 0 clamped.</summary>
    private static Tensor SquaredDistances(Tensor x, Tensor y) =>
        (x.square().sum(1, keepdim: true) + y.square().sum(1).unsqueeze(0) - x.matmul(y.t()) * 2.0).clamp_min(0);

    /// <summary>1 off the diagonal of an [n, n] matrix, 0 on it: the U-statistic leaves out each row's kernel with itself.</summary>
    private static Tensor OffDiagonal(long n, ScalarType dtype)
    {
        var i = arange(n);
        return 1.0 - i.unsqueeze(1).eq(i.unsqueeze(0)).to(dtype);
    }
}
