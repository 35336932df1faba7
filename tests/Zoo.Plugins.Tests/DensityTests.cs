using Zoo.Core.Plugins;
using Zoo.Plugins.Likelihoods.Bernoulli;
using Zoo.Plugins.Likelihoods.Gaussian;
using Zoo.Plugins.Priors.StandardNormal;

namespace Zoo.Plugins.Tests;

/// <summary>Each density against its closed form, evaluated independently in doubles.</summary>
public class DensityTests
{
    private static readonly double Log2Pi = Math.Log(2 * Math.PI);

    private static float[] Uniform(int n, double lo, double hi, ulong seed)
    {
        using var g = new Generator(seed);
        using var t = rand([n], g);
        return t.data<float>().Select(v => (float)(lo + (hi - lo) * v)).ToArray();
    }

    [Fact]
    public void Bernoulli_log_prob_is_the_sum_of_x_log_p_plus_one_minus_x_log_one_minus_p()
    {
        const int n = 4, d = 7;
        var logits = Uniform(n * d, -30, 30, 1);  // includes saturated logits
        var x = Uniform(n * d, 0, 1, 2).Select(v => v > 0.5f ? 1f : 0f).ToArray();
        using var lp = new BernoulliLikelihood().LogProb(tensor(logits, [n, d]), tensor(x, [n, d]));
        lp.shape.ShouldBe([n]);
        var got = lp.data<float>();
        for (int i = 0; i < n; i++)
        {
            double want = 0;
            for (int j = 0; j < d; j++)
            {
                double l = logits[i * d + j];
                // log σ(l) = −log(1 + e^{−l}), log(1 − σ(l)) = −log(1 + e^{l}), written stably.
                double logP = -(Math.Max(-l, 0) + Math.Log(1 + Math.Exp(-Math.Abs(l))));
                double log1mP = -(Math.Max(l, 0) + Math.Log(1 + Math.Exp(-Math.Abs(l))));
                want += x[i * d + j] * logP + (1 - x[i * d + j]) * log1mP;
            }
            ((double)got[i]).ShouldBe(want, Math.Abs(want) * 1e-5 + 1e-4);
        }
    }

    [Fact]
    public void Gaussian_log_prob_is_the_diagonal_normal_density_with_the_floored_variance()
    {
        const int n = 3, d = 5;
        const double minVar = 1e-3;
        var output = Uniform(n * 2 * d, -12, 3, 3);  // raw log-variances well below and above the floor
        var x = Uniform(n * d, 0, 1, 4);
        var lik = new GaussianLikelihood(minVar);
        lik.OutputsPerDimension.ShouldBe(2);
        using var lp = lik.LogProb(tensor(output, [n, 2 * d]), tensor(x, [n, d]));
        var got = lp.data<float>();
        double m = Math.Log(minVar);
        for (int i = 0; i < n; i++)
        {
            double want = 0;
            for (int j = 0; j < d; j++)
            {
                double mu = output[i * 2 * d + j], raw = output[i * 2 * d + d + j];
                double logVar = m + Math.Log(1 + Math.Exp(raw - m));
                logVar.ShouldBeGreaterThanOrEqualTo(m);
                double diff = x[i * d + j] - mu;
                want += -0.5 * (Log2Pi + logVar + diff * diff / Math.Exp(logVar));
            }
            ((double)got[i]).ShouldBe(want, Math.Abs(want) * 1e-5 + 1e-4);
        }
        using var mean = lik.Mean(tensor(output, [n, 2 * d]));
        mean.data<float>().ShouldBe(Enumerable.Range(0, n).SelectMany(i => output.Skip(i * 2 * d).Take(d)).ToArray());
    }

    [Fact]
    public void Standard_normal_and_diagonal_gaussian_log_densities_match_closed_forms()
    {
        const int n = 3, d = 4;
        var z = Uniform(n * d, -3, 3, 5);
        var mu = Uniform(n * d, -1, 1, 6);
        var logVar = Uniform(n * d, -2, 1, 7);
        using var scope = NewDisposeScope();
        var prior = new StandardNormalPrior().LogProb(tensor(z, [n, d])).data<float>();
        var q = new DiagonalGaussian(tensor(mu, [n, d]), tensor(logVar, [n, d]));
        var qz = q.LogProb(tensor(z, [n, d])).data<float>();
        var kl = q.KlToStandardNormal().data<float>();
        for (int i = 0; i < n; i++)
        {
            double p = 0, lq = 0, k = 0;
            for (int j = 0; j < d; j++)
            {
                int at = i * d + j;
                p += -0.5 * (Log2Pi + z[at] * z[at]);
                double v = Math.Exp(logVar[at]);
                lq += -0.5 * (Log2Pi + logVar[at] + (z[at] - mu[at]) * (z[at] - mu[at]) / v);
                k += 0.5 * (mu[at] * mu[at] + v - logVar[at] - 1);
            }
            ((double)prior[i]).ShouldBe(p, 1e-4);
            ((double)qz[i]).ShouldBe(lq, 1e-4);
            ((double)kl[i]).ShouldBe(k, 1e-4);
        }
    }

    /// <summary>
    /// Importance sampling's draws with their log densities: the draws are Sample's, to the bit, from the same generator,
    /// and log q taken from ε is LogProb of the draws up to float rounding (a row's terms reach ±60 here).
    /// </summary>
    [Fact]
    public void Draws_with_their_log_density_are_samples_draws_and_log_prob_of_them()
    {
        const int n = 3, d = 5, samples = 400;
        using var scope = NewDisposeScope();
        var q = new DiagonalGaussian(tensor(Uniform(n * d, -2, 2, 8), [n, d]), tensor(Uniform(n * d, -6, 3, 9), [n, d]));
        Tensor expected;
        using (var g = new Generator(4)) expected = q.Sample(g, samples);
        using var same = new Generator(4);
        var (z, logQ) = q.SampleWithLogProb(same, samples);
        z.shape.ShouldBe([samples, n, d]);
        z.data<float>().ToArray().ShouldBe(expected.data<float>().ToArray());
        logQ.shape.ShouldBe([samples, n]);
        var got = logQ.data<float>().ToArray();
        var want = q.LogProb(z).data<float>().ToArray();
        for (int i = 0; i < got.Length; i++) got[i].ShouldBe(want[i], 1e-4f * Math.Max(1, Math.Abs(want[i])), $"draw {i}");
    }

    [Fact]
    public void Monte_carlo_kl_agrees_with_the_closed_form_within_three_standard_errors()
    {
        // One q per row, repeated over many samples: the MC estimate's mean must land within 3 standard errors
        // (about 0.3% failure rate for a correct implementation) of the closed form, and the standard error is
        // small enough (< 2% of the KL) that a wrong term would fail.
        const int samples = 20000, d = 6;
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        var mu = tensor(new float[] { 0.5f, -1.2f, 2.0f, 0.0f, 0.3f, -0.7f }, [1, d]).expand(samples, d);
        var logVar = tensor(new float[] { -1.0f, 0.5f, -2.0f, 0.0f, 1.0f, -0.3f }, [1, d]).expand(samples, d);
        var q = new DiagonalGaussian(mu, logVar);
        var prior = new StandardNormalPrior();
        var z = q.Sample(g);
        var mc = (q.LogProb(z) - prior.LogProb(z)).to(float64).data<double>();
        var analytic = prior.AnalyticKl(q)!.narrow(0, 0, 1).item<float>();
        double mean = mc.Average(), se = Math.Sqrt(mc.Sum(v => (v - mean) * (v - mean)) / (samples - 1) / samples);
        se.ShouldBeLessThan(0.02 * analytic);
        Math.Abs(mean - analytic).ShouldBeLessThan(3 * se, $"MC KL {mean:F4} ± {se:F4} vs analytic {analytic:F4}");
    }
}
