namespace Zoo.Torch.Tests;

/// <summary>
/// The fused diagonal-Gaussian ops (nn.functional.gaussian_sample, gaussian_kl, standard_normal_log_prob) against
/// libtorch's composed ops, forward and every gradient, with mean and log variance as the two halves of one head, as
/// encoders give them.
/// </summary>
public class GaussianOpsTests
{
    private static (Tensor Head, Tensor Mean, Tensor LogVar) Head(long rows, long d, ulong seed)
    {
        using var g = new Generator(seed);
        var head = (randn([rows, 2 * d], g) * 1.5).requires_grad_();
        return (head, head.narrow(1, 0, d), head.narrow(1, d, d));
    }

    private static void ShouldMatch(Tensor fused, Tensor composed, string what) =>
        fused.allclose(composed, rtol: 1e-5, atol: 1e-5).ShouldBeTrue($"{what}: fused {fused.sum().item<float>()} against composed {composed.sum().item<float>()}");

    [Fact]
    public void Sample_equals_mean_plus_sigma_times_eps_with_its_gradients()
    {
        using var scope = NewDisposeScope();
        var (a, ma, la) = Head(7, 5, 1);
        var (b, mb, lb) = Head(7, 5, 1);
        using var g = new Generator(2);
        var eps = randn([7, 5], g);
        var w = randn([7, 5], g);
        var fused = nn.functional.gaussian_sample(ma, la, eps);
        var composed = mb + (lb * 0.5).exp() * eps;
        ShouldMatch(fused, composed, "draw");
        (fused * w).sum().backward();
        (composed * w).sum().backward();
        ShouldMatch(a.grad!, b.grad!, "gradient of the head");
    }

    /// <summary>
    /// log N(z; 0, I) a row, over the mean half of a head (rows a leading dimension apart), also over 800 rows of 50
    /// (40,000 values: past the 32,768 from which the pair takes half the rows): the composed ops' value, and their
    /// gradient to the bit.
    /// </summary>
    [Theory]
    [InlineData(5L, 4L)]
    [InlineData(800L, 50L)]
    public void Standard_normal_log_density_equals_the_composed_ops_with_their_gradient(long rows, long d)
    {
        using var scope = NewDisposeScope();
        var (a, ma, _) = Head(rows, d, 8);
        var (b, mb, _) = Head(rows, d, 8);
        using var g = new Generator(9);
        var w = randn([rows], g);
        var fused = nn.functional.standard_normal_log_prob(ma);
        var composed = (mb.square() + Math.Log(2 * Math.PI)).sum(-1) * -0.5;
        ShouldMatch(fused, composed, "log density");
        (fused * w).sum().backward();
        (composed * w).sum().backward();
        a.grad!.data<float>().ToArray().ShouldBe(b.grad!.data<float>().ToArray());
    }

    [Fact]
    public void Kl_to_a_standard_normal_equals_the_closed_form_with_its_gradients()
    {
        using var scope = NewDisposeScope();
        var (a, ma, la) = Head(9, 6, 3);
        var (b, mb, lb) = Head(9, 6, 3);
        using var g = new Generator(4);
        var w = randn([9], g);
        var fused = nn.functional.gaussian_kl(ma, la);
        var composed = ((mb.square() + lb.exp() - lb - 1.0) * 0.5).sum(-1);
        ShouldMatch(fused, composed, "KL");
        (fused * w).sum().backward();
        (composed * w).sum().backward();
        ShouldMatch(a.grad!, b.grad!, "gradient of the head");
    }

    /// <summary>p with 3 copies' worth of q's rows: the same as q copied 3 times (copy-major), and q's gradient sums over the copies.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void Kl_between_two_Gaussians_equals_the_closed_form_also_with_q_standing_for_copies(int copies)
    {
        using var scope = NewDisposeScope();
        var (qa, qma, qla) = Head(4, 6, 5);
        var (qb, qmb, qlb) = Head(4, 6, 5);
        var (pa, pma, pla) = Head(4 * copies, 6, 6);
        var (pb, pmb, plb) = Head(4 * copies, 6, 6);
        using var g = new Generator(7);
        var w = randn([4 * copies], g);
        var fused = nn.functional.gaussian_kl(qma, qla, pma, pla);
        Tensor Copies(Tensor t) => t.unsqueeze(0).expand(copies, 4, 6).reshape(4 * copies, 6);
        var (cm, cl) = (Copies(qmb), Copies(qlb));
        var composed = ((plb - cl + (cl.exp() + (cm - pmb).square()) * (-plb).exp() - 1.0).sum(-1)) * 0.5;
        ShouldMatch(fused, composed, "KL");
        (fused * w).sum().backward();
        (composed * w).sum().backward();
        ShouldMatch(qa.grad!, qb.grad!, "gradient of q's head");
        ShouldMatch(pa.grad!, pb.grad!, "gradient of p's head");
    }

    /// <summary>
    /// q's rows named for each row of p (the VFAE's KL(q(z1|x,s) ‖ p(z1|z2,y)) over its labelled and class rows): the bits
    /// of the rows picked by index_select first, the KL's value and both heads' gradients, each row of q met by several
    /// rows of p, by one, or by none.
    /// </summary>
    [Fact]
    public void Kl_against_named_rows_of_q_gives_the_bits_of_the_picked_rows()
    {
        using var scope = NewDisposeScope();
        var (qa, qma, qla) = Head(5, 6, 5);
        var (qb, qmb, qlb) = Head(5, 6, 5);
        var (pa, pma, pla) = Head(9, 6, 6);
        var (pb, pmb, plb) = Head(9, 6, 6);
        var rows = tensor(new long[] { 3, 0, 3, 1, 3, 0, 4, 1, 3 });  // row 2 of q is met by none
        using var g = new Generator(7);
        var w = randn([9], g);
        var fused = nn.functional.gaussian_kl(qma, qla, pma, pla, rows);
        var picked = nn.functional.gaussian_kl(qmb.index_select(0, rows), qlb.index_select(0, rows), pmb, plb);
        fused.data<float>().ShouldBe(picked.data<float>());
        (fused * w).sum().backward();
        (picked * w).sum().backward();
        qa.grad!.data<float>().ShouldBe(qb.grad!.data<float>());
        pa.grad!.data<float>().ShouldBe(pb.grad!.data<float>());
        qa.grad!.narrow(0, 2, 1).abs().sum().item<float>().ShouldBe(0f);
    }

    /// <summary>The head split into its halves as one node: the same values and the same head gradient (to the bit) as two narrow views, also when one half goes unused.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Split_halves_equal_narrow_views_with_their_gradient(bool useBoth)
    {
        using var scope = NewDisposeScope();
        var (a, _, _) = Head(6, 4, 8);
        var (b, mb, lb) = Head(6, 4, 8);
        var (ma, la) = nn.functional.split_halves(a);
        ma.data<float>().ShouldBe(mb.contiguous().data<float>());
        la.data<float>().ShouldBe(lb.contiguous().data<float>());
        using var g = new Generator(9);
        var w = randn([6, 4], g);
        var lossA = useBoth ? (ma * w).sum() + (la.exp() * w).sum() : (ma * w).sum();
        var lossB = useBoth ? (mb * w).sum() + (lb.exp() * w).sum() : (mb * w).sum();
        lossA.backward();
        lossB.backward();
        a.grad!.data<float>().ShouldBe(b.grad!.data<float>());
    }

    [Fact]
    public void Mismatched_shapes_are_refused_in_one_line()
    {
        using var scope = NewDisposeScope();
        Should.Throw<TorchException>(() => nn.functional.gaussian_kl(zeros([4, 3]), zeros([4, 3]), zeros([6, 3]), zeros([6, 3])))
            .Message.ShouldContain("whole number of copies of q's 4 rows");
        Should.Throw<TorchException>(() => nn.functional.gaussian_kl(zeros([4, 3]), zeros([4, 3]), zeros([6, 3]), zeros([6, 3]), tensor(new long[] { 0, 1, 2, 3, 4, 0 })))
            .Message.ShouldContain("q's row 4 (for p's row 4) is outside q's 4 rows");
        Should.Throw<TorchException>(() => nn.functional.gaussian_kl(zeros([4, 3]), zeros([4, 3]), zeros([6, 3]), zeros([6, 3]), tensor(new long[] { 0, 1 })))
            .Message.ShouldContain("q's rows must be int64 [6]");
        Should.Throw<TorchException>(() => nn.functional.gaussian_sample(zeros([4, 3]), zeros([4, 3]), zeros([4, 2])))
            .Message.ShouldContain("must have one shape");
        Should.Throw<TorchException>(() => nn.functional.gaussian_kl(zeros([4]), zeros([4])))
            .Message.ShouldContain("expected rows x dimensions (2-D)");
        Should.Throw<TorchException>(() => nn.functional.split_halves(zeros([4, 5])))
            .Message.ShouldContain("needs an even width, got 5");
    }
}
