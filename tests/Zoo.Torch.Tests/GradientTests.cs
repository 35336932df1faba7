namespace Zoo.Torch.Tests;

/// <summary>Every differentiable op of the binding against central finite differences (float64).</summary>
public class GradientTests
{
    private static Tensor U(double lo, double hi, params long[] shape) => GradientCheck.Uniform(shape, lo, hi, (ulong)shape.Sum() + 3);
    private static Tensor U2(double lo, double hi, params long[] shape) => GradientCheck.Uniform(shape, lo, hi, (ulong)shape.Sum() + 91);

    public static TheoryData<string> UnaryOps => new()
    {
        "exp", "log", "log1p", "sqrt", "abs", "pow2.5", "relu", "leaky_relu", "elu", "softplus", "tanh", "sigmoid",
        "clamp", "square", "neg", "add_scalar", "mul_scalar", "div_scalar", "rsub_scalar", "rdiv_scalar",
        "sum", "sum_dim", "sum_dim_keep", "mean", "mean_dim", "mean_dims_keep", "logsumexp", "max", "max_dim",
        "log_softmax", "softmax", "reshape", "transpose", "unsqueeze", "squeeze", "expand", "narrow", "chunk",
        "index_select", "gather", "contiguous", "clone", "flatten",
    };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void Unary_op_gradient_matches_finite_differences(string op)
    {
        // Inputs away from kinks (relu/abs/clamp at 0, clamp bounds) and inside domains (log, sqrt).
        var x = op is "log" or "sqrt" or "pow2.5" or "rdiv_scalar" ? U(0.5, 2.0, 3, 4) : U(-2, 2, 3, 4);
        Func<Tensor, Tensor> f = op switch
        {
            "exp" => t => t.exp(),
            "log" => t => t.log(),
            "log1p" => t => (t * t).log1p(),
            "sqrt" => t => t.sqrt(),
            "abs" => t => t.abs(),
            "pow2.5" => t => t.pow(2.5),
            "relu" => t => t.relu(),
            "leaky_relu" => t => t.leaky_relu(0.2),
            "elu" => t => t.elu(1.3),
            "softplus" => t => t.softplus(),
            "tanh" => t => t.tanh(),
            "sigmoid" => t => t.sigmoid(),
            "clamp" => t => t.clamp(-1.1, 0.9),
            "square" => t => t.square(),
            "neg" => t => -t,
            "add_scalar" => t => t + 3.0,
            "mul_scalar" => t => t * -1.7,
            "div_scalar" => t => t / 4.0,
            "rsub_scalar" => t => 2.0 - t,
            "rdiv_scalar" => t => 2.0 / t,
            "sum" => t => t.sum(),
            "sum_dim" => t => t.sum(1),
            "sum_dim_keep" => t => t.sum(0, keepdim: true),
            "mean" => t => t.mean(),
            "mean_dim" => t => t.mean(1),
            "mean_dims_keep" => t => t.mean([0, 1], keepdim: true),
            "logsumexp" => t => t.logsumexp(1),
            "max" => t => t.max(),
            "max_dim" => t => t.max(1).values,
            "log_softmax" => t => nn.functional.log_softmax(t, 1),
            "softmax" => t => nn.functional.softmax(t, 0),
            "reshape" => t => t.reshape(2, 6) * arange(6, 0, -1, float64),
            "transpose" => t => t.transpose(0, 1),
            "unsqueeze" => t => t.unsqueeze(1),
            "squeeze" => t => t.unsqueeze(0).squeeze(0),
            "expand" => t => t.unsqueeze(0).expand(2, 3, 4),
            "narrow" => t => t.narrow(1, 1, 2),
            "chunk" => t => t.chunk(2, 1)[1],
            "index_select" => t => t.index_select(1, tensor(new long[] { 3, 0, 3 })),
            "gather" => t => t.gather(1, tensor(new long[] { 0, 2, 1, 3, 3, 3 }, [3, 2])),
            "contiguous" => t => t.t().contiguous(),
            "clone" => t => t.clone(),
            "flatten" => t => t.unsqueeze(1).flatten(1),
            _ => throw new ArgumentException(op),
        };
        GradientCheck.Check(a => f(a[0]), x);
    }

    public static TheoryData<string> BinaryOps => new()
    {
        "add", "add_alpha", "sub", "mul", "div", "pow", "add_broadcast", "mul_broadcast", "matmul", "mm",
        "matmul_batched", "cat", "stack", "where", "bce_with_logits", "mse_loss", "linear",
    };

    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void Binary_op_gradient_matches_finite_differences(string op)
    {
        var (a, b, f) = op switch
        {
            "add" => (U(-2, 2, 3, 4), U2(-2, 2, 3, 4), (Func<Tensor, Tensor, Tensor>)((x, y) => x + y)),
            "add_alpha" => (U(-2, 2, 3, 4), U2(-2, 2, 3, 4), (x, y) => x.add(y, 2.5)),
            "sub" => (U(-2, 2, 3, 4), U2(-2, 2, 3, 4), (x, y) => x - y),
            "mul" => (U(-2, 2, 3, 4), U2(-2, 2, 3, 4), (x, y) => x * y),
            "div" => (U(-2, 2, 3, 4), U2(0.5, 2, 3, 4), (x, y) => x / y),
            "pow" => (U(0.5, 2, 3, 4), U2(-1, 2, 3, 4), (x, y) => x.pow(y)),
            "add_broadcast" => (U(-2, 2, 3, 4), U2(-2, 2, 4), (x, y) => x + y),
            "mul_broadcast" => (U(-2, 2, 3, 4), U2(-2, 2, 3, 1), (x, y) => x * y),
            "matmul" => (U(-2, 2, 3, 4), U2(-2, 2, 4, 5), (x, y) => x.matmul(y)),
            "mm" => (U(-2, 2, 3, 4), U2(-2, 2, 4, 2), (x, y) => mm(x, y)),
            "matmul_batched" => (U(-2, 2, 2, 3, 4), U2(-2, 2, 4, 2), (x, y) => matmul(x, y)),
            "cat" => (U(-2, 2, 3, 4), U2(-2, 2, 2, 4), (x, y) => cat([x, y], 0)),
            "stack" => (U(-2, 2, 3, 4), U2(-2, 2, 3, 4), (x, y) => stack([x, y], 1)),
            "where" => (U(-2, 2, 3, 4), U2(-2, 2, 3, 4), (x, y) => where(x.gt(0.3), x * y, y.exp())),
            "bce_with_logits" => (U(-3, 3, 3, 4), U2(0, 1, 3, 4), (x, y) => nn.functional.binary_cross_entropy_with_logits(x, y, nn.Reduction.None)),
            "mse_loss" => (U(-2, 2, 3, 4), U2(-2, 2, 3, 4), (x, y) => nn.functional.mse_loss(x, y, nn.Reduction.Sum)),
            "linear" => (U(-2, 2, 3, 4), U2(-1, 1, 5, 4), (x, y) => nn.functional.linear(x, y)),
            _ => throw new ArgumentException(op),
        };
        GradientCheck.Check(t => f(t[0], t[1]), a, b);
    }

    [Fact]
    public void Addmm_and_linear_with_bias_gradients_match_finite_differences()
    {
        GradientCheck.Check(t => addmm(t[0], t[1], t[2], beta: 0.5, alpha: 2.0), U(-1, 1, 3, 5), U2(-1, 1, 3, 4), U(-1, 1, 4, 5));
        GradientCheck.Check(t => nn.functional.linear(t[0], t[1], t[2]), U(-1, 1, 3, 4), U2(-1, 1, 5, 4), U(-1, 1, 5));
    }

    public static TheoryData<string> Activations => new() { "identity", "relu", "leaky_relu:0.2", "elu:1.3", "softplus", "tanh", "sigmoid" };

    /// <summary>The fused float32 linear+activation node: gradients against finite differences in float32 ...</summary>
    [Theory]
    [MemberData(nameof(Activations))]
    public void Fused_linear_activation_gradient_matches_finite_differences_in_float32(string act)
    {
        var activation = Activation.Parse(act);
        // float32 differences are coarse: eps 1e-2 with a 2% relative tolerance (still fails on a wrong derivative).
        using var scope = NewDisposeScope();
        GradientCheck.Check(t => nn.functional.linear(t[0], t[1], t[2], activation), eps: 1e-2, rtol: 2e-2, atol: 2e-3,
            U(-1.5, 1.5, 4, 6).to(float32), U2(-1, 1, 5, 6).to(float32), U(-0.5, 0.5, 5).to(float32));
    }

    /// <summary>... and equal to libtorch's own composed ops (forward and all three gradients), to float32 rounding.</summary>
    [Theory]
    [MemberData(nameof(Activations))]
    public void Fused_linear_activation_equals_composed_libtorch_ops(string act)
    {
        var activation = Activation.Parse(act);
        using var scope = NewDisposeScope();
        var inputs = new[] { U(-3, 3, 7, 9), U2(-1, 1, 6, 9), U(-1, 1, 6) }.Select(t => t.to(float32)).ToArray();
        var fused = inputs.Select(t => t.clone().requires_grad_()).ToArray();
        var plain = inputs.Select(t => t.clone().requires_grad_()).ToArray();
        var yf = nn.functional.linear(fused[0], fused[1], fused[2], activation);
        var yp = activation.Apply(addmm(plain[2], plain[0], plain[1].t()));
        using var g = new Generator(9);
        var r = randn(yf.shape, g);
        (yf * r).sum().backward();
        (yp * r).sum().backward();
        yf.allclose(yp, rtol: 1e-5, atol: 1e-6).ShouldBeTrue("forward");
        for (int i = 0; i < 3; i++)
            fused[i].grad!.allclose(plain[i].grad!, rtol: 1e-4, atol: 1e-5).ShouldBeTrue($"gradient of input {i}");
    }

    [Fact]
    public void Fused_linear_skips_the_input_gradient_when_input_needs_none()
    {
        using var scope = NewDisposeScope();
        var x = U(-1, 1, 3, 4).to(float32);
        var w = U2(-1, 1, 2, 4).to(float32).requires_grad_();
        nn.functional.linear(x, w, null, Activation.Tanh).sum().backward();
        x.grad.ShouldBeNull();
        w.grad.ShouldNotBeNull();
    }

    [Fact]
    public void Fused_bernoulli_log_prob_matches_bce_and_its_gradient()
    {
        using var scope = NewDisposeScope();
        var logits = (U(-30, 30, 5, 7) ).to(float32);
        var target = U2(0, 1, 5, 7).gt(0.5).to(float32);
        var a = logits.clone().requires_grad_();
        var b = logits.clone().requires_grad_();
        var fused = nn.functional.bernoulli_log_prob(a, target);
        var reference = -nn.functional.binary_cross_entropy_with_logits(b, target, nn.Reduction.None).sum(1);
        fused.allclose(reference, rtol: 1e-5, atol: 1e-4).ShouldBeTrue();
        var w = arange(1, 6, 1, float32);
        (fused * w).sum().backward();
        (reference * w).sum().backward();
        a.grad!.allclose(b.grad!, rtol: 1e-5, atol: 1e-6).ShouldBeTrue();
    }

    /// <summary>
    /// The row sums take the log1p terms as the logarithm of each lane's product, every 64 vectors and at the row's end: rows
    /// shorter than a vector, with a remainder, and longer than one product (3,072 = 3 × 64 × 16) against the sum in double,
    /// with saturated logits (±100, whose terms are 0 and −100) among them and a row of logits near 0.
    /// </summary>
    [Theory]
    [InlineData(7)]
    [InlineData(784)]
    [InlineData(3072)]
    [InlineData(3090)]
    public void Bernoulli_log_prob_row_sums_match_the_sum_in_double(int cols)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator((ulong)cols);
        var logits = randn([3, cols], g) * 8;
        logits.narrow(0, 2, 1).mul_(0.03); // near 0: factors near 2, whose product 3,072 of them would overflow
        logits.narrow(1, 0, 1).fill_(100.0);
        logits.narrow(1, cols - 1, 1).fill_(-100.0);
        var target = rand([3, cols], g).gt(0.5).to(float32);
        var got = nn.functional.bernoulli_log_prob(logits, target).data<float>();
        var (l, t) = (logits.data<float>(), target.data<float>());
        for (int r = 0; r < 3; r++)
        {
            double exact = 0, scale = 0;
            for (int c = r * cols; c < (r + 1) * cols; c++)
            {
                double a = l[c], term = t[c] * a - (Math.Max(a, 0) + Math.Log(1 + Math.Exp(-Math.Abs(a))));
                exact += term;
                scale += Math.Abs(term);
            }
            ((double)got[r]).ShouldBe(exact, 1e-6 * scale + 1e-5, $"row {r} of {cols}");
        }
    }

    /// <summary>One target row repeated by a stride of 0 (importance sampling's samples of one example) is read in place: the bits of its copies.</summary>
    [Fact]
    public void Bernoulli_log_prob_against_one_repeated_row_gives_the_bits_of_its_copies()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(4);
        var logits = randn([37, 784], g) * 4;
        var repeated = rand([1, 784], g).gt(0.5).to(float32).expand(37, 784);
        nn.functional.bernoulli_log_prob(logits, repeated).data<float>()
            .ShouldBe(nn.functional.bernoulli_log_prob(logits, repeated.contiguous()).data<float>());
    }

    /// <summary>
    /// Two float32 row blocks side by side (the VFAE's [z1 | s], s a narrow of packed rows) go through the shim's own
    /// node: the values and each block's gradient are libtorch's cat's (here through three blocks, which libtorch runs),
    /// and a block that needs none gets none.
    /// </summary>
    [Fact]
    public void Two_blocks_side_by_side_give_libtorchs_cat_and_its_gradients()
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var z = randn([6, 5], g);
        var packed = randn([6, 9], g);
        var weight = randn([6, 8], g);
        var (z1, z2) = (z.clone().requires_grad_(), z.clone().requires_grad_());
        var ours = cat([z1, packed.narrow(1, 2, 3)], 1);
        var libtorchs = cat([z2, packed.narrow(1, 2, 3), zeros([6, 0])], 1);
        ours.data<float>().ShouldBe(libtorchs.data<float>());
        (ours * weight).sum().backward();
        (libtorchs * weight).sum().backward();
        z1.grad!.data<float>().ShouldBe(z2.grad!.data<float>());
        var (w1, w2) = (z.clone().requires_grad_(), z.clone().requires_grad_());
        var (other, weight2) = (packed.narrow(1, 0, 4), randn([6, 9], g));
        (cat([other, w1], -1) * weight2).sum().backward();
        (cat([other, w2, zeros([6, 0])], 1) * weight2).sum().backward();
        w1.grad!.data<float>().ShouldBe(w2.grad!.data<float>());
    }
}
