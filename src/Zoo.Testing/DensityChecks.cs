using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Testing;

/// <summary>
/// A likelihood or prior against the definition of a density, in doubles: it integrates (or sums) to 1, its samples have
/// its mean, and a closed-form KL agrees with the Monte Carlo estimate. Integrals use Simpson's rule on a grid.
/// </summary>
public static class DensityChecks
{
    /// <summary>
    /// p(x | θ) of one data dimension integrates to 1 over [<paramref name="lo"/>, <paramref name="hi"/>], for the decoder
    /// outputs <paramref name="parameters"/> (<see cref="ILikelihood.OutputsPerDimension"/> values, as the decoder lays
    /// them out for one dimension: Gaussian μ then log σ²). Choose the interval to hold all but a negligible tail.
    /// </summary>
    public static void LikelihoodIntegratesToOne(ILikelihood likelihood, double[] parameters, double lo, double hi,
        int points = 20001, double tolerance = 2e-3)
    {
        var x = Grid(lo, hi, points);
        var p = LikelihoodDensity(likelihood, parameters, x);
        Expect(Simpson(p, x[1] - x[0]), 1.0, tolerance, $"∫ p(x | θ = [{string.Join(", ", parameters)}]) dx over [{lo}, {hi}]");
    }

    /// <summary>p(x | θ) of one data dimension sums to 1 over a discrete <paramref name="support"/> (Bernoulli: 0 and 1).</summary>
    public static void LikelihoodSumsToOne(ILikelihood likelihood, double[] parameters, double[] support, double tolerance = 1e-5) =>
        Expect(LikelihoodDensity(likelihood, parameters, support).Sum(), 1.0, tolerance,
            $"Σ p(x | θ = [{string.Join(", ", parameters)}]) over {{{string.Join(", ", support)}}}");

    /// <summary>
    /// The mean of <paramref name="samples"/> draws of one data dimension is <see cref="ILikelihood.Mean"/> within
    /// <paramref name="standardErrors"/> standard errors (the samples' own spread sets the scale).
    /// </summary>
    public static void SampleMeanMatchesMean(ILikelihood likelihood, double[] parameters, int samples = 40000,
        double standardErrors = 5, ulong seed = 1)
    {
        CheckParameters(likelihood, parameters);
        using var scope = NewDisposeScope();
        using var generator = new Generator(seed);
        var one = tensor(parameters.Select(v => (float)v).ToArray(), [1, parameters.Length]);
        var draws = likelihood.Sample(one.expand(samples, parameters.Length).contiguous(), generator).to(float64).data<double>();
        if (draws.Length != samples)
            throw new ZooCheckException($"Sample gave {draws.Length} values for {samples} rows of one dimension; expected [N, D] = [{samples}, 1]");
        var mean = likelihood.Mean(one).to(float64).item<double>();
        double sampleMean = draws.Average(), sd = Math.Sqrt(draws.Sum(d => (d - sampleMean) * (d - sampleMean)) / (samples - 1));
        Expect(sampleMean, mean, standardErrors * sd / Math.Sqrt(samples) + 1e-6,
            $"the mean of {samples} samples for θ = [{string.Join(", ", parameters)}] against Mean");
    }

    /// <summary>p(z) integrates to 1 over [lo, hi]^d for a latent space of <paramref name="latentDim"/> = 1 or 2 dimensions.</summary>
    public static void PriorIntegratesToOne(IPrior prior, int latentDim, double lo = -10, double hi = 10, int points = 0,
        double tolerance = 2e-3)
    {
        if (latentDim is not (1 or 2)) throw new ArgumentOutOfRangeException(nameof(latentDim), latentDim, "a grid integral in 1 or 2 dimensions");
        if (points == 0) points = latentDim == 1 ? 20001 : 801;
        var g = Grid(lo, hi, points);
        double h = g[1] - g[0];
        using var scope = NewDisposeScope();
        if (latentDim == 1)
        {
            var p = prior.LogProb(tensor(g, [points, 1]).to(float32)).to(float64).exp().data<double>();
            Expect(Simpson(p, h), 1.0, tolerance, $"∫ p(z) dz over [{lo}, {hi}]");
            return;
        }
        var rows = new double[points];
        var z = new double[2 * points];
        for (int i = 0; i < points; i++)
        {
            for (int j = 0; j < points; j++) (z[2 * j], z[2 * j + 1]) = (g[i], g[j]);
            using var inner = NewDisposeScope();
            rows[i] = Simpson(prior.LogProb(tensor(z, [points, 2]).to(float32)).to(float64).exp().data<double>(), h);
        }
        Expect(Simpson(rows, h), 1.0, tolerance, $"∫∫ p(z) dz over [{lo}, {hi}]²");
    }

    /// <summary>
    /// <see cref="IPrior.AnalyticKl"/> of q = N(<paramref name="mean"/>, diag exp(<paramref name="logVar"/>)) equals the
    /// Monte Carlo estimate E_q[log q(z) − log p(z)] from <paramref name="samples"/> draws, within
    /// <paramref name="standardErrors"/> standard errors.
    /// </summary>
    public static void AnalyticKlMatchesMonteCarlo(IPrior prior, double[] mean, double[] logVar, int samples = 200000,
        double standardErrors = 5, ulong seed = 2)
    {
        if (mean.Length != logVar.Length) throw new ArgumentException($"mean has {mean.Length} dimensions, logVar {logVar.Length}");
        using var scope = NewDisposeScope();
        var q = new DiagonalGaussian(tensor(mean, [1, mean.Length]).to(float32), tensor(logVar, [1, logVar.Length]).to(float32));
        var analytic = (prior.AnalyticKl(q) ?? throw new ZooCheckException("AnalyticKl returned null: this prior has no closed-form KL to check"))
            .to(float64).item<double>();
        using var generator = new Generator(seed);
        var z = q.Sample(generator, samples).reshape(samples, mean.Length);
        var terms = (q.LogProb(z) - prior.LogProb(z)).to(float64).data<double>();
        double mc = terms.Average(), sd = Math.Sqrt(terms.Sum(t => (t - mc) * (t - mc)) / (samples - 1));
        Expect(analytic, mc, standardErrors * sd / Math.Sqrt(samples) + 1e-4, "the closed-form KL against its Monte Carlo estimate");
    }

    private static double[] LikelihoodDensity(ILikelihood likelihood, double[] parameters, double[] x)
    {
        CheckParameters(likelihood, parameters);
        using var scope = NewDisposeScope();
        var output = tensor(parameters.Select(v => (float)v).ToArray(), [1, parameters.Length]).expand(x.Length, parameters.Length).contiguous();
        var logp = likelihood.LogProb(output, tensor(x, [x.Length, 1]).to(float32));
        if (logp.shape is not [var n] || n != x.Length)
            throw new ZooCheckException($"LogProb gave shape [{string.Join(", ", logp.shape)}] for {x.Length} rows; expected [N] = [{x.Length}] (summed over the data dimensions)");
        return logp.to(float64).exp().data<double>();
    }

    private static void CheckParameters(ILikelihood likelihood, double[] parameters)
    {
        if (parameters.Length != likelihood.OutputsPerDimension)
            throw new ArgumentException($"the likelihood takes {likelihood.OutputsPerDimension} decoder output(s) per dimension; {parameters.Length} given");
    }

    private static double[] Grid(double lo, double hi, int points)
    {
        if (points < 3 || points % 2 == 0) throw new ArgumentOutOfRangeException(nameof(points), points, "Simpson's rule needs an odd number ≥ 3 of points");
        return Enumerable.Range(0, points).Select(i => lo + (hi - lo) * i / (points - 1)).ToArray();
    }

    private static double Simpson(double[] f, double h)
    {
        double sum = f[0] + f[^1];
        for (int i = 1; i < f.Length - 1; i++) sum += (i % 2 == 1 ? 4 : 2) * f[i];
        return sum * h / 3;
    }

    private static void Expect(double found, double expected, double tolerance, string what)
    {
        if (!(Math.Abs(found - expected) <= tolerance))
            throw new ZooCheckException($"{what}: expected {expected:G6} ± {tolerance:G3}, found {found:G6}");
    }
}
