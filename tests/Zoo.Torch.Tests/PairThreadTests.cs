namespace Zoo.Torch.Tests;

/// <summary>
/// The pair thread (Threading.PairThread) splits fused linear layers and Adam's update over two threads. Each half is
/// the BLAS call libtorch would make for the whole on one OpenBLAS thread, cut along rows or columns of the output, and
/// the elementwise passes are per element, so the results must be the bits of one thread doing it all. (OpenBLAS's own
/// threaded driver cuts K into other blocks than its one-thread driver, 250 + 250 against 256 + 244 for K = 500, so
/// results with its 2 threads differ in the last bits from either.) Serial: it switches the pair process-wide.
/// </summary>
[Collection(Serial.Name)]
public class PairThreadTests
{
    /// <summary>
    /// Training steps of an MLP whose layers span the split and unsplit cases: 784→500 (split; no dX needed for x), 500→260
    /// (split), 260→40 (too narrow: one thread), 40→500 (a 2·10⁶ GEMM, too small to cut: it runs whole, its activation
    /// over the pair by rows and act′ by columns), 500→784 without an activation; with and without
    /// biases. The outputs, every gradient and the parameters after Adam are compared to the last bit.
    /// </summary>
    /// With <c>eager</c>, Adam's step is begun before backward (<see cref="Modules.Adam.BeginEagerStep"/>, as the trainer
    /// does): the pair updates parameters whose gradients are final while backward goes on.
    [Theory]
    [InlineData(true, false)]
    [InlineData(false, false)]
    [InlineData(true, true)]
    public void Layers_and_Adam_on_the_pair_give_the_same_bits_as_one_thread(bool bias, bool eager) =>
        PairBits.ShouldMatchOneThread(() => Run(bias, eager));

    /// <summary>
    /// The VFAE's tall layers, 730 rows through 100→500 (softplus) and a 500→100 head: both forward GEMMs cut by rows, the
    /// head's dW by x's columns and its dX by rows (each thread then packs half of the larger operand), to the last bit.
    /// </summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tall_layers_cut_by_rows_give_the_same_bits_as_one_thread(bool bias) =>
        PairBits.ShouldMatchOneThread(() => Run(bias, eager: true, 730, [100, 500, 100], [Activation.Softplus, Activation.Identity]));

    /// <summary>
    /// A first layer over a narrow of wider rows (the VFAE's [x | s] of its packed [x | s | y | labelled] rows) reads them
    /// in place, as does the Bernoulli log-likelihood its target: the bits of the same run over a contiguous copy, on
    /// the pair and on one thread.
    /// </summary>
    [Fact]
    public void Layers_over_a_narrow_of_wider_rows_give_the_bits_of_a_contiguous_copy() => PairBits.ShouldMatchOneThread(() =>
    {
        var inPlace = Run(bias: true, eager: true, narrowOfWider: true);
        var copied = Run(bias: true, eager: true, narrowOfWider: false);
        inPlace.Length.ShouldBe(copied.Length);
        for (int i = 0; i < inPlace.Length; i++)
            inPlace[i].Select(BitConverter.SingleToInt32Bits).ShouldBe(copied[i].Select(BitConverter.SingleToInt32Bits), $"output {i}");
        return inPlace;
    });

    /// <summary>
    /// Off the pair (one thread's layers, as in an importance-sampling lane) a fused layer copies its bias into the rows and
    /// makes addmm's BLAS call itself: the output is libtorch's addmm (or mm without a bias) to the last bit, over contiguous
    /// rows and over a narrow of wider rows.
    /// </summary>
    [Fact]
    public void Off_the_pair_a_fused_layer_gives_the_bits_of_libtorchs_addmm()
    {
        var was = Threading.PairThread;
        Threading.PairThread = false;
        try
        {
            using var scope = NewDisposeScope();
            using var g = new Generator(13);
            var (w, b) = (randn([150, 200], g) * 0.1, randn([150], g));
            var wide = randn([300, 211], g);
            foreach (var x in new[] { wide.narrow(1, 0, 200), wide.narrow(1, 0, 200).contiguous() })
            {
                nn.functional.linear(x, w, b).data<float>().ShouldBe(addmm(b, x, w.t()).data<float>());
                nn.functional.linear(x, w).data<float>().ShouldBe(x.mm(w.t()).data<float>());
            }
        }
        finally
        {
            Threading.PairThread = was;
        }
    }

    private static float[][] Run(bool bias, bool eager, bool narrowOfWider = false) => Run(bias, eager, 100, [784, 500, 260, 40, 500, 784],
        [Activation.Softplus, Activation.Tanh, Activation.Identity, Activation.ReLU, Activation.Identity], narrowOfWider);

    private static float[][] Run(bool bias, bool eager, int rows, int[] sizes, Activation[] acts, bool narrowOfWider = false)
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(5);
        var weights = new List<Parameter>();
        var biases = new List<Parameter>();
        for (int i = 0; i + 1 < sizes.Length; i++)
        {
            weights.Add(new Parameter(randn([sizes[i + 1], sizes[i]], g) * (1.0 / Math.Sqrt(sizes[i]))));
            if (bias) biases.Add(new Parameter(randn([sizes[i + 1]], g) * 0.1));
        }
        var all = weights.Concat(biases).ToList();
        using var adam = optim.Adam(all, lr: 0.01);
        var x = rand([rows, sizes[0]], g);
        if (narrowOfWider) x = cat([x, ones([rows, 11])], 1).narrow(1, 0, sizes[0]);
        var outputs = new List<float[]>();
        bool ftz = Threading.FlushDenormal;
        Threading.SetFlushDenormal(true);  // as the trainer runs
        try
        {
            for (int step = 0; step < 3; step++)
            {
                using var stepScope = NewDisposeScope();
                adam.zero_grad();
                var h = x;
                for (int i = 0; i < weights.Count; i++) h = nn.functional.linear(h, weights[i], bias ? biases[i] : null, acts[i]);
                outputs.Add(h.data<float>());
                var loss = nn.functional.bernoulli_log_prob(h, x).sum().neg();
                if (eager) adam.BeginEagerStep();
                loss.backward();
                outputs.AddRange(all.Select(p => p.grad!.data<float>()));
                adam.step();
            }
        }
        finally
        {
            Threading.SetFlushDenormal(ftz);
        }
        outputs.AddRange(all.Select(p => p.data<float>()));
        foreach (var p in all) p.Dispose();
        return outputs.ToArray();
    }

    /// <summary>
    /// The Gaussian KL's and draws' rows over the pair at the VFAE's shapes: KL(q(z1) ‖ p(z1|z2,y)) on 730 rows of 50, q's
    /// 100 rows against 10 copies' worth of p (q's gradient summed over its copies, cut by q's rows), q's 100 rows named
    /// for each of 730 rows of p (30 once, 70 ten times), KL to N(0, I), and
    /// z2's draws. Values and every gradient to the last bit, and each op split (once forward, once backward).
    /// </summary>
    [Fact]
    public void Gaussian_kl_and_draw_rows_on_the_pair_give_the_same_bits_as_one_thread() => PairBits.ShouldMatchOneThread(() =>
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(11);
        var outputs = new List<float[]>();
        foreach (var (qRows, pRows, named) in new[] { (730L, 730L, false), (100L, 1000L, false), (730L, 0L, false), (100L, 730L, true) })
        {
            var q = (randn([qRows, 100], g) * 1.5).requires_grad_();
            var p = pRows > 0 ? (randn([pRows, 100], g) * 1.5).requires_grad_() : null;
            // The VFAE's: 30 labelled rows once, then the other 70 once for each of 10 classes.
            var rows = named ? tensor(Enumerable.Range(0, 30).Concat(Enumerable.Repeat(Enumerable.Range(30, 70), 10).SelectMany(r => r)).Select(r => (long)r).ToArray()) : null;
            Threading.TakePairStatistics();
            var kl = p is null
                ? nn.functional.gaussian_kl(q.narrow(1, 0, 50), q.narrow(1, 50, 50))
                : nn.functional.gaussian_kl(q.narrow(1, 0, 50), q.narrow(1, 50, 50), p.narrow(1, 0, 50), p.narrow(1, 50, 50), rows);
            (kl * randn([kl.size(0)], g)).sum().backward();
            if (Threading.PairSplits) Threading.TakePairStatistics().Splits.ShouldBe(2, $"KL of {qRows} rows against {pRows}");
            outputs.Add(kl.data<float>());
            outputs.Add(q.grad!.data<float>());
            if (p is not null) outputs.Add(p.grad!.data<float>());
        }
        // z2's draws, μ + σ·ε over 730 rows of 50, and their gradient.
        var head = (randn([730, 100], g) * 1.5).requires_grad_();
        var (eps, weight) = (randn([730, 50], g), randn([730, 50], g));
        Threading.TakePairStatistics();
        var z = nn.functional.gaussian_sample(head.narrow(1, 0, 50), head.narrow(1, 50, 50), eps);
        (z * weight).sum().backward();
        if (Threading.PairSplits) Threading.TakePairStatistics().Splits.ShouldBe(2, "the draws, forward and backward");
        outputs.Add(z.data<float>());
        outputs.Add(head.grad!.data<float>());
        return outputs.ToArray();
    });

    /// <summary>
    /// Two threads training at once share one pair thread: the one that finds it busy runs both halves itself. Every
    /// thread's results equal a run alone, and OpenBLAS's thread count is back afterwards.
    /// </summary>
    [Fact]
    public void Two_threads_training_at_once_get_the_results_of_each_alone()
    {
        var was = Threading.PairThread;
        int blas = Threading.BlasThreads, intraOp = get_num_threads();
        set_num_threads(2);
        try
        {
            Threading.PairThread = true;
            var alone = Run(bias: true, eager: true);
            var runs = new float[4][][];
            var threads = Enumerable.Range(0, runs.Length).Select(i => new Thread(() => runs[i] = Run(bias: true, eager: true))).ToList();
            threads.ForEach(t => t.Start());
            threads.ForEach(t => t.Join());
            foreach (var run in runs)
                for (int i = 0; i < alone.Length; i++)
                    run[i].SequenceEqual(alone[i]).ShouldBeTrue($"array {i} differs when threads train at once");
            Threading.BlasThreads.ShouldBe(blas);
        }
        finally
        {
            Threading.PairThread = was;
            set_num_threads(intraOp);
        }
    }

    /// <summary>
    /// A pair loop (the trainer's batches) keeps libtorch's own ops on its thread (1 intra-op thread there) while the
    /// layers still split; nested loops count, and leaving the outer one restores the thread. With the pair off it
    /// changes nothing.
    /// </summary>
    [Fact]
    public void A_pair_loop_gives_libtorchs_ops_one_thread_and_the_layers_the_pair_until_it_ends() => OnTwoThreads(() =>
    {
        Threading.PairThread = true;
        using (Threading.PairLoop())
        {
            get_num_threads().ShouldBe(1);
            Threading.PairSplits.ShouldBeTrue();
            using (Threading.PairLoop()) get_num_threads().ShouldBe(1);
            get_num_threads().ShouldBe(1);
            Threading.PairSplits.ShouldBeTrue();
        }
        get_num_threads().ShouldBe(2);
        Threading.PairThread = false;
        using (Threading.PairLoop())
        {
            get_num_threads().ShouldBe(2);
            Threading.PairSplits.ShouldBeFalse();
        }
        get_num_threads().ShouldBe(2);
    });

    /// <summary>Runs <paramref name="body"/> with libtorch on 2 threads, then puts the thread count and the pair switch back.</summary>
    private static void OnTwoThreads(Action body)
    {
        var was = Threading.PairThread;
        int intraOp = get_num_threads();
        set_num_threads(2);
        try
        {
            body();
        }
        finally
        {
            Threading.PairThread = was;
            set_num_threads(intraOp);
        }
    }

    /// <summary>
    /// An eager Adam step begins only where the pair splits, and one thread's at a time (it holds the pair's idle time);
    /// zero_grad ends one never finished, and a step of other parameters than those begun is refused in one line.
    /// </summary>
    [Fact]
    public void An_eager_step_needs_the_pair_and_ends_at_its_step() => OnTwoThreads(() =>
    {
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        Parameter P() => new Parameter(randn([64, 64], g));
        var (a, b) = (P(), P());
        using var adamA = optim.Adam([a]);
        using var adamB = optim.Adam([b]);
        Threading.PairThread = false;
        adamA.BeginEagerStep().ShouldBeFalse();
        Threading.PairThread = true;
        using (Threading.PairLoop())
        {
            (a * a).sum().backward();
            adamA.BeginEagerStep().ShouldBeTrue();
            bool other = true;
            var t = new Thread(() => { using (Threading.PairLoop()) other = adamB.BeginEagerStep(); });
            t.Start();
            t.Join();
            other.ShouldBeFalse("another thread's eager step holds the pair");
            Should.Throw<TorchException>(() => adamB.step()).Message.ShouldContain("an eager step was begun for other parameters");
            adamA.BeginEagerStep().ShouldBeTrue();
            adamA.zero_grad(); // ends it: the next thread may begin one
            var u = new Thread(() => { using (Threading.PairLoop()) other = adamB.BeginEagerStep(); adamB.zero_grad(); });
            u.Start();
            u.Join();
            other.ShouldBeTrue();
        }
        foreach (var p in new[] { a, b }) p.Dispose();
    });

    /// <summary>The pair's statistics count its splits, its busy time and the halves taken back, and taking them starts the count again.</summary>
    [Fact]
    public void Pair_statistics_count_the_splits_and_start_again_when_taken() => OnTwoThreads(() =>
    {
        Threading.PairThread = true;
        using var scope = NewDisposeScope();
        using var g = new Generator(3);
        var w = randn([500, 784], g);
        var x = rand([100, 784], g);
        using (Threading.PairLoop())
        {
            Threading.TakePairStatistics();
            for (int i = 0; i < 3; i++) nn.functional.linear(x, w, null, Activation.Softplus);
            var s = Threading.TakePairStatistics();
            s.Splits.ShouldBe(3, "one split a layer of 500 outputs");
            s.TakenBack.ShouldBeLessThanOrEqualTo(s.Splits); // a half the pair had not started (asleep after earlier tests) runs here
            if (s.TakenBack < s.Splits) s.PairBusy.ShouldBeGreaterThan(TimeSpan.Zero);
            s.LateStarts.ShouldBeLessThanOrEqualTo(s.Splits);
            s.Describe(3, TimeSpan.FromSeconds(1)).ShouldStartWith("pair: 1.0 splits a step");
            Threading.TakePairStatistics().Splits.ShouldBe(0);
        }
        Threading.PairThread = false;
        Threading.TakePairStatistics().Describe(1, TimeSpan.FromSeconds(1)).ShouldStartWith("pair: no split");
    });

    /// <summary>A side-by-side lane already has a core to itself: layers there never split (and OpenBLAS stays at one thread).</summary>
    [Fact]
    public void Layers_in_a_side_by_side_lane_do_not_split()
    {
        var (first, second) = Threading.SideBySide(() => Threading.PairSplits, () => Threading.PairSplits);
        first.ShouldBeFalse();
        second.ShouldBeFalse();
        Threading.PairSplits.ShouldBe(Threading.PairThread && get_num_threads() == 2);
    }
}
