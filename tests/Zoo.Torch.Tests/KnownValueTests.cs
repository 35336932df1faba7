namespace Zoo.Torch.Tests;

/// <summary>Ops against numbers computed independently (by hand or in double precision in C#).</summary>
public class KnownValueTests
{
    private static void Close(Tensor t, double[] expected, double tol = 1e-6)
    {
        var got = t.to(float64).data<double>();
        got.Length.ShouldBe(expected.Length);
        for (int i = 0; i < got.Length; i++) Math.Abs(got[i] - expected[i]).ShouldBeLessThan(tol, $"element {i}: {got[i]} vs {expected[i]}");
    }

    [Fact]
    public void Creation_and_round_trip_through_managed_arrays()
    {
        using var scope = NewDisposeScope();
        var t = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        t.shape.ShouldBe([2L, 3L]);
        t.dtype.ShouldBe(ScalarType.Float32);
        t.data<float>().ShouldBe([1f, 2, 3, 4, 5, 6]);
        t.t().data<float>().ShouldBe([1f, 4, 2, 5, 3, 6]);
        zeros(2, 2).sum().item<float>().ShouldBe(0f);
        ones([3], float64).data<double>().ShouldBe([1.0, 1, 1]);
        full([2], 2.5).data<float>().ShouldBe([2.5f, 2.5f]);
        arange(5).data<long>().ShouldBe([0L, 1, 2, 3, 4]);
        arange(0, 1, 0.25, float32).data<float>().ShouldBe([0f, 0.25f, 0.5f, 0.75f]);
        tensor(new float[,] { { 1, 2 }, { 3, 4 } }).shape.ShouldBe([2L, 2L]);
        Should.Throw<ArgumentException>(() => tensor(new float[] { 1, 2, 3 }, [2, 2]));
    }

    [Fact]
    public void Elementwise_functions_match_closed_forms()
    {
        using var scope = NewDisposeScope();
        double[] xs = [-3, -0.5, 0, 0.5, 3];
        var x = tensor(xs);
        Close(x.exp(), xs.Select(Math.Exp).ToArray(), 1e-5);
        Close(x.abs(), xs.Select(Math.Abs).ToArray());
        Close(x.softplus(), xs.Select(v => Math.Log(1 + Math.Exp(v))).ToArray());
        Close(x.sigmoid(), xs.Select(v => 1 / (1 + Math.Exp(-v))).ToArray());
        Close(x.tanh(), xs.Select(Math.Tanh).ToArray());
        Close(x.relu(), xs.Select(v => Math.Max(v, 0)).ToArray());
        Close(x.leaky_relu(0.1), xs.Select(v => v > 0 ? v : 0.1 * v).ToArray());
        Close(x.elu(2.0), xs.Select(v => v > 0 ? v : 2.0 * (Math.Exp(v) - 1)).ToArray());
        Close(x.clamp(-1, 1), xs.Select(v => Math.Clamp(v, -1, 1)).ToArray());
        Close((x + 4).log(), xs.Select(v => Math.Log(v + 4)).ToArray());
        Close((x + 4).sqrt(), xs.Select(v => Math.Sqrt(v + 4)).ToArray());
        Close(x.log1p().isfinite().to(float32), [0, 1, 1, 1, 1]);
        Close((x + 4).pow(1.5), xs.Select(v => Math.Pow(v + 4, 1.5)).ToArray(), 1e-5);
    }

    [Fact]
    public void Reductions_and_softmax_match_closed_forms()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new float[] { 1, 2, 3, 4, 5, 6 }, [2, 3]);
        x.sum().item<float>().ShouldBe(21f);
        Close(x.sum(0), [5, 7, 9]);
        x.sum(1, keepdim: true).shape.ShouldBe([2L, 1L]);
        Close(x.mean(1), [2, 5]);
        x.max().item<float>().ShouldBe(6f);
        x.min().item<float>().ShouldBe(1f);
        var (v, i) = x.max(0);
        Close(v, [4, 5, 6]);
        i.data<long>().ShouldBe([1L, 1, 1]);
        x.argmax().item<long>().ShouldBe(5L);
        x.argmax(1).data<long>().ShouldBe([2L, 2]);
        var lse = Math.Log(Math.Exp(1) + Math.Exp(2) + Math.Exp(3));  // 3.40760596...
        Close(x.logsumexp(1), [lse, lse + 3], 1e-5);
        Close(nn.functional.log_softmax(x, 1).narrow(0, 0, 1).reshape(3), [1 - lse, 2 - lse, 3 - lse], 1e-5);
        Close(nn.functional.softmax(x, 1).sum(1), [1, 1], 1e-6);
    }

    [Fact]
    public void Matmul_linear_and_addmm_match_hand_products()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new float[] { 1, 2, 3, 4 }, [2, 2]);
        var b = tensor(new float[] { 5, 6, 7, 8 }, [2, 2]);
        Close(a.matmul(b), [19, 22, 43, 50]);
        Close(nn.functional.linear(a, b, tensor(new float[] { 1, -1 })), [18, 22, 40, 52]);  // a b^T + bias
        Close(addmm(ones(2, 2), a, b, beta: 2, alpha: 0.5), [11.5, 13, 23.5, 27]);
        Close(nn.functional.linear(a, b, null, Activation.ReLU) - 20, [-3, 3, 19, 33]);
        var e = Should.Throw<TorchException>(() => a.matmul(ones(3, 2)));
        e.Message.ShouldContain("shapes cannot be multiplied");
    }

    [Fact]
    public void Losses_one_hot_and_comparisons_match_closed_forms()
    {
        using var scope = NewDisposeScope();
        var logits = tensor(new float[] { 0, 2, -1 });
        var target = tensor(new float[] { 1, 0, 1 });
        double[] bce = [Math.Log(2), Math.Log(1 + Math.Exp(2)), Math.Log(1 + Math.Exp(1))];
        Close(nn.functional.binary_cross_entropy_with_logits(logits, target, nn.Reduction.None), bce, 1e-6);
        nn.functional.binary_cross_entropy_with_logits(logits, target).item<float>().ShouldBe((float)bce.Average(), 1e-6f);
        Close(nn.functional.bernoulli_log_prob(logits.unsqueeze(0), target.unsqueeze(0)), [-bce.Sum()], 1e-5);
        Close(nn.functional.mse_loss(logits, target), [(1 + 4 + 4) / 3.0]);
        nn.functional.one_hot(tensor(new long[] { 2, 0 }), 3).data<long>().ShouldBe([0L, 0, 1, 1, 0, 0]);
        logits.gt(0).data<bool>().ShouldBe([false, true, false]);
        logits.le(tensor(new float[] { 0, 0, 0 })).data<bool>().ShouldBe([true, false, true]);
        logits.eq(2).to(int64).sum().item<long>().ShouldBe(1L);
    }

    [Fact]
    public void Shape_ops_move_the_right_elements()
    {
        using var scope = NewDisposeScope();
        var x = arange(0, 6, 1, float32).reshape(2, 3);
        cat([x, x], 1).data<float>().ShouldBe([0f, 1, 2, 0, 1, 2, 3, 4, 5, 3, 4, 5]);
        var parts = x.chunk(3, 1);
        parts.Length.ShouldBe(3);
        parts[2].data<float>().ShouldBe([2f, 5]);
        x.narrow(1, 1, 2).data<float>().ShouldBe([1f, 2, 4, 5]);
        x.index_select(0, tensor(new long[] { 1, 1, 0 })).data<float>().ShouldBe([3f, 4, 5, 3, 4, 5, 0, 1, 2]);
        x.unsqueeze(0).shape.ShouldBe([1L, 2, 3]);
        x.narrow(0, 0, 1).expand(3, 3).data<float>().ShouldBe([0f, 1, 2, 0, 1, 2, 0, 1, 2]);
        where(x.gt(2), x, zeros_like(x)).data<float>().ShouldBe([0f, 0, 0, 3, 4, 5]);
    }

    [Fact]
    public void Same_seed_gives_same_numbers_and_different_seeds_differ()
    {
        using var scope = NewDisposeScope();
        float[] Draw(ulong seed)
        {
            using var g = new Generator(seed);
            return cat([randn([50], g), rand([50], g), randint(0, 10, [50], g).to(float32), randperm(50, g).to(float32)]).data<float>();
        }
        Draw(42).ShouldBe(Draw(42));
        Draw(42).ShouldNotBe(Draw(43));
        manual_seed(7);
        var a = randn([10]).data<float>();
        manual_seed(7);
        randn([10]).data<float>().ShouldBe(a);
    }

    [Fact]
    public void Random_draws_have_the_right_moments_and_ranges()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var n = randn([100_000], g);
        Math.Abs(n.mean().item<double>()).ShouldBeLessThan(0.02);
        Math.Abs((n * n).mean().item<double>() - 1).ShouldBeLessThan(0.02);
        var u = rand([100_000], g);
        u.min().item<float>().ShouldBeGreaterThanOrEqualTo(0f);
        u.max().item<float>().ShouldBeLessThan(1f);
        var ri = randint(3, 6, [10_000], g);
        ri.min().item<long>().ShouldBe(3L);
        ri.max().item<long>().ShouldBe(5L);
        bernoulli(full([10_000], 0.3), g).mean().item<double>().ShouldBe(0.3, 0.02);
    }

    [Fact]
    public void Generator_state_restores_the_stream_exactly()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        randn([5], g);
        var state = g.get_state();
        var first = randn([20], g).data<float>();
        g.set_state(state);
        randn([20], g).data<float>().ShouldBe(first);
    }

    [Fact]
    public void Linear_uses_pytorch_default_initialisation_bounds()
    {
        using var g = new Generator(0);
        using var layer = new Zoo.Torch.Modules.Linear(400, 300, generator: g);
        var bound = 1 / Math.Sqrt(400);
        var w = layer.weight.data<float>();
        w.Max().ShouldBeLessThanOrEqualTo((float)bound);
        w.Min().ShouldBeGreaterThanOrEqualTo((float)-bound);
        // U(-b, b) has variance b²/3.
        var variance = w.Select(v => (double)v * v).Average();
        variance.ShouldBe(bound * bound / 3, bound * bound / 3 * 0.05);
        layer.bias!.data<float>().Max().ShouldBeLessThanOrEqualTo((float)bound);
    }

    [Fact]
    public void Threads_can_be_set_and_read_back()
    {
        var before = get_num_threads();
        try
        {
            set_num_threads(1);
            get_num_threads().ShouldBe(1);
            Should.Throw<ArgumentOutOfRangeException>(() => set_num_threads(0));
        }
        finally { set_num_threads(before); }
        before.ShouldBe(Environment.GetEnvironmentVariable("ZOO_NUM_THREADS") is { } z ? int.Parse(z) : Environment.ProcessorCount);
    }

    [Fact]
    public void No_grad_stops_recording_and_detach_cuts_history()
    {
        using var scope = NewDisposeScope();
        var w = ones([3], requires_grad: true);
        using (no_grad())
        {
            is_grad_enabled().ShouldBeFalse();
            (w * 2).requires_grad.ShouldBeFalse();
        }
        is_grad_enabled().ShouldBeTrue();
        (w * 2).requires_grad.ShouldBeTrue();
        (w * 2).detach().requires_grad.ShouldBeFalse();
        var y = (w * w).sum();
        y.backward();
        w.grad!.data<float>().ShouldBe([2f, 2, 2]);
        w.is_leaf.ShouldBeTrue();
        y.is_leaf.ShouldBeFalse();
    }
}
