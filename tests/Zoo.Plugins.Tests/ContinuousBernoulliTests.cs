using Zoo.Plugins.Likelihoods.ContinuousBernoulli;

namespace Zoo.Plugins.Tests;

/// <summary>The continuous Bernoulli against its definition, integrated numerically in doubles.</summary>
public class ContinuousBernoulliTests
{
    private static readonly double[] Logits = [-25, -6, -1.5, -0.3, -0.004, 0, 0.004, 0.02, 0.7, 3, 12];

    /// <summary>p(x|η) for one dimension (x of shape [n, 1]), from the likelihood.</summary>
    private static double[] Density(double eta, double[] x)
    {
        using var scope = NewDisposeScope();
        var logp = new ContinuousBernoulliLikelihood().LogProb(full([x.Length, 1], eta), tensor(x.Select(v => (float)v).ToArray(), [x.Length, 1]));
        return logp.to(float64).data<double>().Select(Math.Exp).ToArray();
    }

    [Fact]
    public void The_density_integrates_to_one_on_the_unit_interval_for_every_logit()
    {
        const int n = 20001; // Simpson's rule on [0, 1]
        var x = Enumerable.Range(0, n).Select(i => i / (double)(n - 1)).ToArray();
        foreach (var eta in Logits)
        {
            var p = Density(eta, x);
            double h = 1.0 / (n - 1), sum = p[0] + p[^1];
            for (int i = 1; i < n - 1; i++) sum += (i % 2 == 1 ? 4 : 2) * p[i];
            (sum * h / 3).ShouldBe(1.0, 2e-3, $"η = {eta}");
        }
    }

    [Fact]
    public void The_mean_is_the_integral_of_x_times_the_density()
    {
        const int n = 20001;
        var x = Enumerable.Range(0, n).Select(i => i / (double)(n - 1)).ToArray();
        using var means = new ContinuousBernoulliLikelihood().Mean(tensor(Logits.Select(v => (float)v).ToArray(), [1, Logits.Length]));
        var got = means.data<float>();
        for (int k = 0; k < Logits.Length; k++)
        {
            var p = Density(Logits[k], x);
            double h = 1.0 / (n - 1), sum = x[^1] * p[^1];
            for (int i = 1; i < n - 1; i++) sum += (i % 2 == 1 ? 4 : 2) * x[i] * p[i];
            ((double)got[k]).ShouldBe(sum * h / 3, 2e-3, $"η = {Logits[k]}");
        }
    }

    [Fact]
    public void Samples_have_the_mean_and_stay_in_the_unit_interval()
    {
        using var g = new Generator(3);
        using var eta = tensor(Logits.Select(v => (float)v).ToArray(), [1, Logits.Length]).expand(40000, Logits.Length).contiguous();
        var lik = new ContinuousBernoulliLikelihood();
        using var s = lik.Sample(eta, g);
        using var sampleMean = s.mean(0);
        using var mean = lik.Mean(eta.narrow(0, 0, 1));
        var a = sampleMean.data<float>();
        var b = mean.data<float>();
        for (int k = 0; k < Logits.Length; k++) ((double)a[k]).ShouldBe(b[k], 0.01, $"η = {Logits[k]}");
        using var lo = s.min();
        using var hi = s.max();
        lo.item<float>().ShouldBeGreaterThanOrEqualTo(0f);
        hi.item<float>().ShouldBeLessThanOrEqualTo(1f);
    }

    [Fact]
    public void Gradients_are_finite_at_and_around_zero_logits()
    {
        using var eta = tensor(new float[] { 0f, 1e-3f, -1e-3f, 0.01f, 5f }, [1, 5], requires_grad: true);
        using var x = full([1, 5], 0.3);
        using var lp = new ContinuousBernoulliLikelihood().LogProb(eta, x);
        using var total = lp.sum();
        total.backward();
        eta.grad!.data<float>().ShouldAllBe(v => float.IsFinite(v));
    }
}
