namespace Zoo.Torch.Tests;

/// <summary>
/// nn.functional.linear_classes: a layer over the rows [a[rows[r]] | one-hot(classes[r], k)] without building them.
/// It must equal the layer over the built rows (forward and every gradient, to float rounding: the one-hot columns
/// are added outside the GEMM), and give the same bits with the pair thread as on one thread. Serial: it switches the
/// pair process-wide.
/// </summary>
[Collection(Serial.Name)]
public class LinearClassesTests
{
    public static TheoryData<bool, bool, string> Cases() => new()
    {
        { true, true, "softplus" }, { true, false, "identity" }, { false, true, "tanh" }, { false, true, "identity" }, { true, true, "relu" },
    };

    /// <summary>
    /// q(z2|z1,y)'s first layer as the VFAE runs it (100 rows of 50, each taken 10 times with rows repeated and out of
    /// order, 500 units: the pair splits it) and p(z1|z2,y)'s (a's rows are the rows), against linear over the built rows.
    /// </summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void Equals_the_layer_over_the_built_rows(bool gathered, bool bias, string activation)
    {
        var act = Activation.Parse(activation);
        foreach (var (m, ia, o, k) in new[] { (100, 50, 500, 10), (3, 4, 5, 3) })
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(11);
            var a = randn([m, ia], g).requires_grad_(true);
            var w = (randn([o, ia + k], g) * 0.2).requires_grad_(true);
            var b = bias ? (randn([o], g) * 0.1).requires_grad_(true) : null;
            long count = gathered ? 7L * m + 1 : m;
            var rows = gathered ? randint(0, m, [count], g) : null;
            var classes = randint(0, k, [count], g);
            var fused = nn.functional.linear_classes(a, rows, classes, w, b, act);
            var built = cat([rows is null ? a : a.index_select(0, rows), nn.functional.one_hot(classes, k).to(float32)], 1);
            var composed = nn.functional.linear(built, w, b, act);
            fused.shape.ShouldBe([count, o]);
            Close(fused, composed, $"{m}x{ia}->{o}, k {k}: output");

            var r = randn([count, o], g);
            var gradsFused = Gradients(fused, r, a, w, b);
            var gradsComposed = Gradients(composed, r, a, w, b);
            for (int i = 0; i < gradsFused.Length; i++) Close(gradsFused[i], gradsComposed[i], $"{m}x{ia}->{o}, k {k}: gradient {i}");
        }
    }

    /// <summary>The gradients of sum(y ⊙ r) with respect to a, W and b (when given), taken fresh.</summary>
    private static Tensor[] Gradients(Tensor y, Tensor r, params Tensor?[] inputs)
    {
        var present = inputs.Where(t => t is not null).Select(t => t!).ToList();
        foreach (var t in present) t.zero_grad();
        (y * r).sum().backward();
        return present.Select(t => t.grad!.clone()).ToArray();
    }

    private static void Close(Tensor x, Tensor y, string what) =>
        x.allclose(y, rtol: 1e-4, atol: 1e-4).ShouldBeTrue($"{what}: {(x - y).abs().max().item<float>()} apart");

    /// <summary>
    /// The pair's two halves give the bits of one thread: split by output columns, then da by its rows (50 columns are too
    /// few to cut): 100 rows of a gathered into 730, or 730 rows of a as p(z1|z2,y) takes z2.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void On_the_pair_gives_the_same_bits_as_one_thread(bool gathered) =>
        PairBits.ShouldMatchOneThread(() => Run(gathered));

    private static float[][] Run(bool gathered)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        long count = 730, m = gathered ? 100 : count;
        var a = randn([m, 50], g).requires_grad_(true);
        var w = (randn([500, 60], g) * 0.1).requires_grad_(true);
        var b = (randn([500], g) * 0.1).requires_grad_(true);
        var rows = gathered ? randint(0, m, [count], g) : null;
        var classes = randint(0, 10, [count], g);
        var y = nn.functional.linear_classes(a, rows, classes, w, b, Activation.Softplus);
        (y * randn([count, 500], g)).sum().backward();
        return [y.data<float>(), a.grad!.data<float>(), w.grad!.data<float>(), b.grad!.data<float>()];
    }

    [Fact]
    public void Bad_classes_rows_or_weights_are_named()
    {
        using var scope = NewDisposeScope();
        var a = zeros([4, 3]);
        var w = zeros([5, 6]);
        Should.Throw<TorchException>(() => nn.functional.linear_classes(a, null, tensor(new long[] { 0, 1, 3, 2 }), w, null, Activation.Identity))
            .Message.ShouldContain("class 3 at position 2 is outside [0, 3)");
        Should.Throw<TorchException>(() => nn.functional.linear_classes(a, tensor(new long[] { 0, 4 }), tensor(new long[] { 0, 1 }), w, null, Activation.Identity))
            .Message.ShouldContain("row 4 at position 1 is outside [0, 4)");
        Should.Throw<TorchException>(() => nn.functional.linear_classes(a, null, tensor(new long[] { 0, 1 }), w, null, Activation.Identity))
            .Message.ShouldContain("2 classes for 4 rows");
        Should.Throw<TorchException>(() => nn.functional.linear_classes(a, null, tensor(new long[] { 0, 1, 0, 1 }), zeros([5, 3]), null, Activation.Identity))
            .Message.ShouldContain("no class columns");
        Should.Throw<TorchException>(() => nn.functional.linear_classes(a, null, zeros([4]), w, null, Activation.Identity))
            .Message.ShouldContain("int64");
    }

    [Fact]
    public void On_the_meta_device_it_gives_shapes_forward_and_backward()
    {
        using (MetaAllocation())
        {
            using var scope = NewDisposeScope();
            var a = zeros([100, 50]).requires_grad_(true);
            var w = zeros([500, 60]).requires_grad_(true);
            var y = nn.functional.linear_classes(a, zeros([730], int64), zeros([730], int64), w, zeros([500]), Activation.Softplus);
            y.is_meta.ShouldBeTrue();
            y.shape.ShouldBe([730L, 500L]);
            y.sum().backward();
            a.grad!.shape.ShouldBe([100L, 50L]);
            w.grad!.shape.ShouldBe([500L, 60L]);
        }
    }
}
