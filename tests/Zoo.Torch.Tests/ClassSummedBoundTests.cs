namespace Zoo.Torch.Tests;

/// <summary>
/// nn.functional.class_summed_bound: the semi-supervised bound with the class summed out where it is unknown, in one
/// node. It must give the bits of the libtorch ops it replaces, composed as the VFAE composed them, forward and in every
/// gradient, with q(y)'s log-probabilities also reaching the loss another way (the VFAE's classification term).
/// </summary>
public class ClassSummedBoundTests
{
    private const int Classes = 10;

    /// <summary>The bound as the VFAE composed it from libtorch's ops, row positions taken from the host.</summary>
    private static Tensor Composed(Tensor rec, Tensor costs, Tensor logQy, long[] li, long[] ui)
    {
        long n = rec.size(0), l = li.Length, u = ui.Length;
        Tensor Rows(Tensor t, long[] index) => index.Length == n ? t.alias() : t.index_select(0, tensor(index));
        Tensor? labelled = l > 0 ? Rows(rec, li) - costs.narrow(0, 0, l) : null, unlabelled = null;
        if (u > 0)
        {
            var costsU = costs.narrow(0, l, Classes * u).reshape(Classes, u).t();
            var logQyU = Rows(logQy, ui);
            var qy = logQyU.exp();
            unlabelled = Rows(rec, ui) - (qy * costsU).sum(1) - (qy * logQyU).sum(1);
        }
        if (unlabelled is null) return labelled!;
        if (labelled is null) return unlabelled;
        var back = new long[n];
        for (int p = 0; p < l; p++) back[li[p]] = p;
        for (int p = 0; p < u; p++) back[ui[p]] = l + p;
        return cat([labelled, unlabelled]).index_select(0, tensor(back));
    }

    /// <summary>The bound's values and the gradients of rec, costs and the logits under q(y) after the VFAE's loss.</summary>
    private static float[][] Run(bool fused, int labelledRows, ulong seed)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(seed);
        const long n = 100;
        var order = randperm(n, g).data<long>();
        var (li, ui) = (order[..labelledRows], order[labelledRows..]);
        var rec = (randn([n], g) * 50 - 100).requires_grad_();
        var costs = (rand([li.Length + Classes * ui.Length], g) * 30).requires_grad_();
        var logits = randn([n, Classes], g).requires_grad_();
        var y = nn.functional.one_hot(randint(0, Classes, [n], g), Classes).to(float32);
        var logQy = nn.functional.log_softmax(logits, 1);
        var bound = fused ? nn.functional.class_summed_bound(rec, costs, logQy, li, ui) : Composed(rec, costs, logQy, li, ui);
        var classification = (logQy * y).sum(1).sum() / n;
        (-bound.mean() - classification * 100).backward();
        return [bound.data<float>(), rec.grad!.data<float>(), costs.grad!.data<float>(), logits.grad!.data<float>()];
    }

    [Theory]
    [InlineData(30, 1UL)]
    [InlineData(1, 2UL)]
    [InlineData(100, 3UL)]
    [InlineData(0, 4UL)]
    public void Gives_the_bits_of_the_composed_ops_forward_and_backward(int labelledRows, ulong seed)
    {
        var fused = Run(true, labelledRows, seed);
        var composed = Run(false, labelledRows, seed);
        string[] names = ["bound", "rec's gradient", "costs' gradient", "the logits' gradient"];
        for (int i = 0; i < names.Length; i++)
        {
            fused[i].Length.ShouldBe(composed[i].Length, names[i]);
            for (int j = 0; j < fused[i].Length; j++)
                BitConverter.SingleToInt32Bits(fused[i][j]).ShouldBe(BitConverter.SingleToInt32Bits(composed[i][j]),
                    $"{names[i]} [{j}]: fused {fused[i][j]:R} against composed {composed[i][j]:R}");
        }
    }

    [Fact]
    public void Rows_listed_twice_out_of_range_or_costs_of_the_wrong_length_are_named()
    {
        using var scope = NewDisposeScope();
        var rec = zeros([4]);
        var logQy = zeros([4, 3]);
        Should.Throw<TorchException>(() => nn.functional.class_summed_bound(rec, zeros([8]), logQy, [0, 2], [2, 3]))
            .Message.ShouldContain("row 2 listed twice");
        Should.Throw<TorchException>(() => nn.functional.class_summed_bound(rec, zeros([8]), logQy, [0, 4], [1, 2]))
            .Message.ShouldContain("row 4 out of range (4 rows)");
        Should.Throw<TorchException>(() => nn.functional.class_summed_bound(rec, zeros([7]), logQy, [0, 1], [2, 3]))
            .Message.ShouldContain("2 labelled and 2 unlabelled rows for 4 rows and 7 costs");
    }

    [Fact]
    public void On_the_meta_device_it_gives_shapes_forward_and_backward()
    {
        using (MetaAllocation())
        {
            using var scope = NewDisposeScope();
            var rec = zeros([4]).requires_grad_(true);
            var costs = zeros([2 + 3 * 2]).requires_grad_(true);
            var logQy = zeros([4, 3]).requires_grad_(true);
            var bound = nn.functional.class_summed_bound(rec, costs, logQy, [3, 0], [1, 2]);
            bound.is_meta.ShouldBeTrue();
            bound.shape.ShouldBe([4L]);
            bound.sum().backward();
            rec.grad!.shape.ShouldBe([4L]);
            costs.grad!.shape.ShouldBe([8L]);
            logQy.grad!.shape.ShouldBe([4L, 3L]);
        }
    }
}
