using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Testing;

/// <summary>
/// Finite-difference gradient checks: the analytic gradient of L(x) = Σ f(x)·r (r a fixed random projection, so
/// no symmetry can hide an error) against central differences, element by element. Inputs keep their dtype
/// (float64 for tight checks, float32 for fused kernels); L is accumulated in float64.
/// </summary>
public static class GradientCheck
{
    /// <summary>Checks the gradients of <paramref name="f"/> at float64 <paramref name="inputs"/> (ε = 1e-6, rtol = 1e-5, atol = 1e-7).</summary>
    public static void Check(Func<Tensor[], Tensor> f, params Tensor[] inputs) => Check(f, 1e-6, 1e-5, 1e-7, inputs);

    /// <summary>Checks with step <paramref name="eps"/> and tolerance atol + rtol·|finite difference| per element.</summary>
    public static void Check(Func<Tensor[], Tensor> f, double eps, double rtol, double atol, params Tensor[] inputs)
    {
        using var scope = NewDisposeScope();
        foreach (var x in inputs) x.requires_grad = true;
        using var gen = new Generator(1234);
        var y0 = f(inputs);
        var r = randn(y0.shape, gen, float64);
        (y0 * r.to(y0.dtype)).sum().backward();
        for (int k = 0; k < inputs.Length; k++)
        {
            var x = inputs[k];
            var analytic = (x.grad ?? throw new ZooCheckException($"input {k}: no gradient reached it (is it used, and not detached?)"))
                .to(float64).data<double>();
            var values = x.detach().to(float64).data<double>();
            var shape = x.shape;
            for (int i = 0; i < values.Length; i++)
            {
                double Eval(double delta)
                {
                    using var s = NewDisposeScope();
                    using var _ = no_grad();
                    var v = (double[])values.Clone();
                    v[i] += delta;
                    var args = inputs.Select((t, j) => j == k ? tensor(v, shape).to(x.dtype) : t.detach()).ToArray();
                    return (f(args).to(float64) * r).sum().item<double>();
                }
                var numeric = (Eval(eps) - Eval(-eps)) / (2 * eps);
                var tol = atol + rtol * Math.Abs(numeric);
                if (!(Math.Abs(analytic[i] - numeric) <= tol))
                    throw new ZooCheckException(
                        $"input {k}, element {i}: analytic gradient {analytic[i]:G10} differs from finite difference {numeric:G10} by more than {tol:G3}");
            }
        }
    }

    /// <summary>A float64 tensor with values in [lo, hi), from a fixed seed.</summary>
    public static Tensor Uniform(long[] shape, double lo, double hi, ulong seed = 7)
    {
        using var g = new Generator(seed);
        return (rand(shape, g, float64) * (hi - lo) + lo).detach();
    }
}
