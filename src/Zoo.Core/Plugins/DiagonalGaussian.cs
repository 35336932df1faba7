using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

/// <summary>N(μ, diag(exp(log σ²))) over the last dimension, batched over the first.</summary>
public sealed record DiagonalGaussian(Tensor Mean, Tensor LogVar)
{
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    /// <summary>
    /// The Gaussian a network's [μ | log σ²] head emits: [N, 2d] split into its halves (for float32 rows one node that
    /// copies them out; views of <paramref name="stats"/> otherwise).
    /// </summary>
    public static DiagonalGaussian FromHead(Tensor stats)
    {
        if (IsFloatRows(stats))
        {
            var (mean, logVar) = nn.functional.split_halves(stats);
            return new DiagonalGaussian(mean, logVar);
        }
        var d = stats.size(-1) / 2;
        return new DiagonalGaussian(stats.narrow(-1, 0, d), stats.narrow(-1, d, d));
    }

    /// <summary>The reparameterised draw μ + σ·ε, ε ~ N(0, I), differentiable in μ and log σ².</summary>
    public Tensor Sample(Generator generator)
    {
        using var eps = randn(Mean.shape, generator);
        return Sample(eps);
    }

    /// <summary>
    /// μ + σ·<paramref name="eps"/> for standard normal draws taken elsewhere: rows × d (one fused node), or
    /// [samples, N, d] for several draws per row.
    /// </summary>
    public Tensor Sample(Tensor eps)
    {
        if (IsRows && eps.dim() == 2) return nn.functional.gaussian_sample(Mean, LogVar, eps);
        using var std = (LogVar * 0.5).exp();
        using var scaled = std * eps;
        return Mean + scaled;
    }

    /// <summary>float32 rows × d, the shape the fused kernels take; other shapes use libtorch's composed ops.</summary>
    private bool IsRows => IsFloatRows(Mean);

    private static bool IsFloatRows(Tensor t) => t.dim() == 2 && t.dtype == ScalarType.Float32;

    /// <summary><paramref name="samples"/> reparameterised draws per row at once: [samples, N, d].</summary>
    public Tensor Sample(Generator generator, long samples)
    {
        using var eps = randn([samples, .. Mean.shape], generator);
        return Sample(eps);
    }

    /// <summary>
    /// <paramref name="samples"/> draws per row, [samples, N, d], the same as <see cref="Sample(Generator, long)"/>'s, and
    /// log q of each, [samples, N]. log q comes from the standard normal draws ε: z − μ = σ·ε, so it is log N(ε; 0, I)
    /// − ½ Σ log σ², the latter one figure per row. It equals <see cref="LogProb"/> of the draws up to float rounding,
    /// in one pass over [samples, N, d] where LogProb makes six.
    /// </summary>
    public (Tensor Z, Tensor LogProb) SampleWithLogProb(Generator generator, long samples)
    {
        using var scope = NewDisposeScope();
        var eps = randn([samples, .. Mean.shape], generator);
        var z = Sample(eps);
        var logProb = StandardLogProb(eps) - LogVar.sum(-1) * 0.5;
        return (z.MoveToOuterDisposeScope(), logProb.MoveToOuterDisposeScope());
    }

    /// <summary>
    /// log N(z; 0, I) summed over the last dimension: −½ (Σ z² + d log 2π); float32 in one native pass over the rows
    /// (nn.functional.standard_normal_log_prob).
    /// </summary>
    public static Tensor StandardLogProb(Tensor z)
    {
        if (z.dtype == ScalarType.Float32 && z.dim() >= 1)
        {
            using var rows = z.reshape(-1, z.size(-1));
            using var perRow = nn.functional.standard_normal_log_prob(rows);
            return perRow.reshape(z.shape[..^1]);
        }
        using var square = z.square();
        using var terms = square + Log2Pi;
        using var sum = terms.sum(-1);
        return sum * -0.5;
    }

    /// <summary>log q(z) summed over the last dimension: [N].</summary>
    public Tensor LogProb(Tensor z)
    {
        using var scope = NewDisposeScope();
        var diff = z - Mean;
        var quad = diff.square() * (-LogVar).exp();
        return ((quad + LogVar + Log2Pi).sum(-1) * -0.5).MoveToOuterDisposeScope();
    }

    /// <summary>KL(this || N(0, I)) in closed form: ½ Σ (μ² + σ² − log σ² − 1), per example [N].</summary>
    public Tensor KlToStandardNormal()
    {
        if (IsRows) return nn.functional.gaussian_kl(Mean, LogVar);
        using var perDimension = KlToStandardNormalPerDimension();
        return perDimension.sum(-1);
    }

    /// <summary>
    /// KL(this || p) between diagonal Gaussians, per example [N]:
    /// ½ Σ (log σp² − log σq² + (σq² + (μq − μp)²) / σp² − 1).
    /// For rows, p may hold k copies' worth (k·N rows, copy-major): row r of p is then compared with row r mod N of
    /// this, and the result has k·N rows, without copying this k times. With <paramref name="rows"/> (int64, one for each
    /// row of p), row r of p is compared with row rows[r] of this instead: the result is the KL of this's rows picked by
    /// index_select against p, without the picked copies.
    /// </summary>
    public Tensor KlTo(DiagonalGaussian p, Tensor? rows = null)
    {
        if (IsRows && p.IsRows) return nn.functional.gaussian_kl(Mean, LogVar, p.Mean, p.LogVar, rows);
        using var scope = NewDisposeScope();
        var (mean, logVar) = rows is null ? (Mean, LogVar) : (Mean.index_select(0, rows), LogVar.index_select(0, rows));
        var t = p.LogVar - logVar + (logVar.exp() + (mean - p.Mean).square()) * (-p.LogVar).exp() - 1.0;
        return (t.sum(-1) * 0.5).MoveToOuterDisposeScope();
    }

    /// <summary>KL(this || N(0, I)) per dimension, ½ (μ² + σ² − log σ² − 1): [N, d].</summary>
    public Tensor KlToStandardNormalPerDimension()
    {
        using var scope = NewDisposeScope();
        var t = Mean.square() + LogVar.exp() - LogVar - 1.0;
        return (t * 0.5).MoveToOuterDisposeScope();
    }
}
