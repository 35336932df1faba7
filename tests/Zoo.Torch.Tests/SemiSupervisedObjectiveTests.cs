namespace Zoo.Torch.Tests;

/// <summary>
/// nn.functional.semi_supervised_objective: the semi-supervised bound with the class summed out where it is unknown and
/// the loss with its classification term, in one node. It must give the bits of the libtorch ops it replaces, composed
/// as the VFAE composed them, forward and in every gradient, also where the bound reaches the loss another way too.
/// </summary>
public class SemiSupervisedObjectiveTests
{
    private const int Classes = 10;

    /// <summary>The bound as the VFAE composed it from libtorch's ops, row positions taken from the host.</summary>
    private static Tensor Composed(Tensor rec, Tensor costs, Tensor logQy, long[] li, long[] ui)
    {
        long n = rec.size(0), l = li.Length, u = ui.Length;
        // Every row in order (one part only, sorted): the rows themselves, as the VFAE's Rows takes them.
        bool inOrder = (l == 0 || u == 0) && li.Concat(ui).Select((row, p) => row == p).All(x => x);
        Tensor Rows(Tensor t, long[] index) => inOrder ? t.alias() : t.index_select(0, tensor(index));
        Tensor? labelled = l > 0 ? Rows(rec, li) - costs.narrow(0, 0, l) : null, unlabelled = null;
        if (u > 0)
        {
            var costsU = costs.narrow(0, l, Classes * u).reshape(Classes, u).t();
            var logQyU = Rows(logQy, ui);
            var qy = logQyU.exp();
            unlabelled = Rows(rec, ui) - (qy * costsU).sum(1) - (qy * logQyU).sum(1);
        }
        if (inOrder) return labelled ?? unlabelled!;
        var back = new long[n];
        for (int p = 0; p < l; p++) back[li[p]] = p;
        for (int p = 0; p < u; p++) back[ui[p]] = l + p;
        var parts = labelled is null ? unlabelled! : unlabelled is null ? labelled : cat([labelled, unlabelled]);
        return parts.index_select(0, tensor(back));
    }

    /// <summary>
    /// The bound's and the loss's values and the gradients of rec, costs and the logits under q(y) after the VFAE's loss
    /// (and, with <paramref name="boundUsedAgain"/>, a second use of the bound, so that its node gets both gradients).
    /// </summary>
    private static float[][] Run(bool fused, int labelledRows, ulong seed, double alpha = 100, bool boundUsedAgain = false, bool sorted = false)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(seed);
        const long n = 100;
        var order = randperm(n, g).data<long>();
        var (li, ui) = (order[..labelledRows], order[labelledRows..]);
        if (sorted) { Array.Sort(li); Array.Sort(ui); } // as the VFAE lists them
        var rec = (randn([n], g) * 50 - 100).requires_grad_();
        var costs = (rand([li.Length + Classes * ui.Length], g) * 30).requires_grad_();
        var logits = randn([n, Classes], g).requires_grad_();
        var y = nn.functional.one_hot(randint(0, Classes, [n], g), Classes).to(float32);
        var mask = new float[n];
        foreach (var i in li) mask[i] = 1f;
        var isLabelled = tensor(mask);
        // As the VFAE reads them: narrow views of packed rows [y | labelled].
        var packed = cat([y, isLabelled.unsqueeze(1)], 1);
        var (yView, labelledView) = (packed.narrow(1, 0, Classes), packed.narrow(1, Classes, 1).squeeze(1));
        var logQy = nn.functional.log_softmax(logits, 1);
        Tensor bound, loss;
        if (fused) (bound, loss) = nn.functional.semi_supervised_objective(rec, costs, logQy, yView, labelledView, li, ui, alpha);
        else
        {
            bound = Composed(rec, costs, logQy, li, ui);
            var classification = ((logQy * yView).sum(1) * labelledView).sum() / n;
            loss = -bound.mean() - classification * alpha;
        }
        (boundUsedAgain ? loss + (bound * bound).sum() * 1e-3 : loss).backward();
        return [bound.data<float>(), loss.reshape(1).data<float>(), rec.grad!.data<float>(), costs.grad!.data<float>(), logits.grad!.data<float>()];
    }

    [Theory]
    [InlineData(30, 1UL, 100.0, false, false)]
    [InlineData(1, 2UL, 100.0, false, false)]
    [InlineData(100, 3UL, 100.0, false, false)]
    [InlineData(0, 4UL, 100.0, false, false)]
    [InlineData(30, 5UL, 0.37, true, false)]
    [InlineData(0, 6UL, 3.0, true, false)]
    [InlineData(100, 7UL, 3.0, true, false)]
    [InlineData(30, 8UL, 100.0, true, true)]
    [InlineData(0, 9UL, 100.0, true, true)]
    [InlineData(100, 10UL, 100.0, true, true)]
    public void Gives_the_bits_of_the_composed_ops_forward_and_backward(int labelledRows, ulong seed, double alpha, bool boundUsedAgain, bool sorted)
    {
        var fused = Run(true, labelledRows, seed, alpha, boundUsedAgain, sorted);
        var composed = Run(false, labelledRows, seed, alpha, boundUsedAgain, sorted);
        string[] names = ["bound", "loss", "rec's gradient", "costs' gradient", "the logits' gradient"];
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
        var (y, labelled) = (zeros([4, 3]), zeros([4]));
        Should.Throw<TorchException>(() => nn.functional.semi_supervised_objective(rec, zeros([8]), logQy, y, labelled, [0, 2], [2, 3], 1))
            .Message.ShouldContain("row 2 listed twice");
        Should.Throw<TorchException>(() => nn.functional.semi_supervised_objective(rec, zeros([8]), logQy, y, labelled, [0, 4], [1, 2], 1))
            .Message.ShouldContain("row 4 out of range (4 rows)");
        Should.Throw<TorchException>(() => nn.functional.semi_supervised_objective(rec, zeros([7]), logQy, y, labelled, [0, 1], [2, 3], 1))
            .Message.ShouldContain("2 labelled and 2 unlabelled rows for 4 rows and 7 costs");
        Should.Throw<TorchException>(() => nn.functional.semi_supervised_objective(rec, zeros([8]), logQy, zeros([4, 2]), labelled, [0, 1], [2, 3], 1))
            .Message.ShouldContain("expected y [4, 3] and labelled [4], got [4, 2] and [4]");
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
            var (bound, loss) = nn.functional.semi_supervised_objective(rec, costs, logQy, zeros([4, 3]), zeros([4]), [3, 0], [1, 2], 1);
            bound.is_meta.ShouldBeTrue();
            bound.shape.ShouldBe([4L]);
            loss.shape.ShouldBe(Array.Empty<long>());
            loss.backward();
            rec.grad!.shape.ShouldBe([4L]);
            costs.grad!.shape.ShouldBe([8L]);
            logQy.grad!.shape.ShouldBe([4L, 3L]);
        }
    }
}
