using System.Diagnostics;
using Zoo.Torch;
using Zoo.Torch.Modules;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo bench torch`: GEMM throughput at VAE shapes and the cost, phase by phase, of one training step of the
/// 784-500-500-20-500-500-784 MLP autoencoder (softplus, Bernoulli loss, Adam) at batch 100.
/// </summary>
internal static class TorchBenchmark
{
    private static readonly long[] Sizes = [784, 500, 500, 20, 500, 500, 784];
    private const int Batch = 100;

    // Steps per round: the GEMMs at the step's shapes are timed again before and after each round's steps, so that both
    // figures of a round's ratio come from the same stretch of this host, whose speed moves by a quarter and more
    // within seconds (the GEMMs alone swung from 132 to 279 GFLOP/s between runs of the same binary).
    private const int RoundSteps = 50;

    public static void Run(int steps, TextWriter log)
    {
        if (steps < 1) throw new ArgumentException($"--steps must be at least 1, found {steps}");
        log.WriteLine($"libtorch {version}, intra-op threads {get_num_threads()}, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset: PASSIVE set natively)"}");
        log.WriteLine($"BLAS: {Threading.BlasConfig} (threads {Threading.BlasThreads})");
        Threading.WriteBlasNote(log);
        log.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}");

        using var shapes = new GemmShapes();
        var (g784, g500) = shapes.Measure(200);
        log.WriteLine($"GEMM {Batch}x784x500: {g784:F1} GFLOP/s (median of 200)");
        log.WriteLine($"GEMM {Batch}x500x500: {g500:F1} GFLOP/s (median of 200)");
        Cores(log);

        using var gen = new Generator(0);
        using var model = nn.MLP(Sizes, Activation.Softplus, generator: gen);
        using var adam = optim.Adam(model.parameters(), lr: 1e-3);
        using var x = rand([Batch, 784], gen).gt(0.5).to(float32);
        double fwd = 0, bwd = 0, opt = 0;
        var times = new List<double>();
        // The step's GEMM work: forward 2·B·Σ in·out; backward dW for every layer and dX for all but the first.
        double fwdFlops = 0, firstLayer = 2.0 * Batch * Sizes[0] * Sizes[1];
        for (int l = 0; l + 1 < Sizes.Length; l++) fwdFlops += 2.0 * Batch * Sizes[l] * Sizes[l + 1];
        double stepFlops = fwdFlops * 3 - firstLayer;
        double Step(bool timed)
        {
            using var scope = NewDisposeScope();
            var t0 = Stopwatch.GetTimestamp();
            adam.zero_grad();
            var logits = model.forward(x);
            var loss = -nn.functional.bernoulli_log_prob(logits, x).mean();
            adam.BeginEagerStep(); // as the trainer does: Adam's update may start on the pair during backward
            var t1 = Stopwatch.GetTimestamp();
            loss.backward();
            var t2 = Stopwatch.GetTimestamp();
            adam.step();
            var t3 = Stopwatch.GetTimestamp();
            if (timed) { fwd += Ms(t0, t1); bwd += Ms(t1, t2); opt += Ms(t2, t3); }
            return Ms(t0, t3);
        }

        for (int i = Math.Min(20, steps / 5); i > 0; i--) Step(timed: false);
        Threading.TakePairStatistics(); // from here on, the timed steps'
        int rounds = Math.Max(1, steps / RoundSteps);
        var shares = new List<double>();
        double untimedMs = 0; // the steps after each reference, which the pair's statistics count too
        double Reference()
        {
            Threading.ParkPair(); // the reference's second core is OpenBLAS's own thread, not a spinning pair thread
            var (r784, r500) = shapes.Measure(30);
            return (r784 + r500) / 2;
        }
        double before = Reference();
        for (int r = 0; r < rounds; r++)
        {
            int count = steps / rounds + (r < steps % rounds ? 1 : 0);
            for (int i = 0; i < 2; i++) untimedMs += Step(timed: false); // the step's weights back in cache after the reference's
            var round = new List<double>();
            for (int i = 0; i < count; i++) round.Add(Step(timed: true));
            times.AddRange(round);
            double after = Reference(); // a round's reference: the GEMMs' rate on either side of its steps
            shares.Add(stepFlops / (Median(round) * 1e6) / ((before + after) / 2));
            before = after;
        }
        var pair = Threading.TakePairStatistics();
        double median = Median(times);
        double stepGflops = stepFlops / (median * 1e6);
        double gemm = (g784 + g500) / 2;
        log.WriteLine($"MLP AE step (batch {Batch}, {string.Join("-", Sizes)}, softplus, Bernoulli, Adam), {steps} steps:");
        log.WriteLine($"  median {median:F2} ms  [forward {fwd / steps:F2} | backward {bwd / steps:F2} | adam {opt / steps:F2}] (means)");
        // An epoch costs the mean, not the median: a step that waits on a preempted core shows here first.
        times.Sort();
        log.WriteLine($"  mean {times.Average():F2} ms, 10th percentile {times[times.Count / 10]:F2}, 90th {times[times.Count * 9 / 10]:F2}, 99th {times[times.Count * 99 / 100]:F2}");
        log.WriteLine($"  GEMM work {stepFlops / 1e9:F3} GFLOP/step -> {stepGflops:F1} GFLOP/s = {100 * stepGflops / gemm:F0}% of the GEMM throughput at these shapes measured before the steps ({gemm:F1} GFLOP/s)");
        log.WriteLine($"  in {rounds} rounds of {steps / rounds} steps between GEMM references: the step at {100 * Median(shares):F0}% of the GEMM throughput around it (median round; rounds {100 * shares.Min():F0}-{100 * shares.Max():F0}%)");
        log.WriteLine($"  an epoch of MNIST (600 steps) ≈ {median * 600 / 1000:F1} s");
        log.WriteLine("  " + pair.Describe(steps + 2 * rounds, TimeSpan.FromMilliseconds(times.Sum() + untimedMs)));
        ConvStep(steps, log);
    }

    private static double Median(List<double> values)
    {
        var sorted = values.Order().ToList();
        return sorted[sorted.Count / 2];
    }

    /// <summary>
    /// One training step of a convolutional autoencoder at MNIST's shapes, the conv encoder and decoder plugins' default
    /// geometry: 1×28×28 → conv 32 → conv 64 (kernel 4, stride 2: 14×14, 7×7) → 256 → 16 → 256 → 3136 → transposed
    /// convolutions back to 1×28×28, ReLU, Bernoulli loss, Adam, batch 100 (bench/pytorch_step.py runs the same).
    /// </summary>
    private static void ConvStep(int steps, TextWriter log)
    {
        using var gen = new Generator(0);
        using var model = new Sequential(
            new Reshape(1, 28, 28), new Conv2d(1, 32, 4, 2, 1, generator: gen), new ActivationLayer(Activation.ReLU),
            new Conv2d(32, 64, 4, 2, 1, generator: gen), new ActivationLayer(Activation.ReLU), new Reshape(64 * 7 * 7),
            new Linear(64 * 7 * 7, 256, activation: Activation.ReLU, generator: gen), new Linear(256, 16, generator: gen),
            new Linear(16, 256, activation: Activation.ReLU, generator: gen), new Linear(256, 64 * 7 * 7, activation: Activation.ReLU, generator: gen),
            new Reshape(64, 7, 7), new ConvTranspose2d(64, 32, 4, 2, 1, generator: gen), new ActivationLayer(Activation.ReLU),
            new ConvTranspose2d(32, 1, 4, 2, 1, generator: gen), new Reshape(784));
        using var adam = optim.Adam(model.parameters(), lr: 1e-3);
        using var x = rand([Batch, 784], gen).gt(0.5).to(float32);
        var times = new List<double>();
        int warm = Math.Min(10, steps / 5), count = Math.Max(1, steps / 5);
        for (int i = 0; i < count + warm; i++)
        {
            using var scope = NewDisposeScope();
            var t0 = Stopwatch.GetTimestamp();
            adam.zero_grad();
            var loss = -nn.functional.bernoulli_log_prob(model.forward(x), x).mean();
            adam.BeginEagerStep();
            loss.backward();
            adam.step();
            if (i >= warm) times.Add(Ms(t0, Stopwatch.GetTimestamp()));
        }
        double median = Median(times);
        log.WriteLine($"conv AE step (batch {Batch}, 1x28x28 -> conv 32, 64 (k4 s2) -> 256 -> 16 and back, ReLU, Bernoulli, Adam), {count} steps:");
        log.WriteLine($"  median {median:F2} ms; an epoch of MNIST (600 steps) ≈ {median * 600 / 1000:F1} s");
    }

    private static double Ms(long a, long b) => (b - a) * 1000.0 / Stopwatch.Frequency;

    /// <summary>
    /// What the second core adds now: one-thread GEMMs alone, then two side by side. A VM's two vCPUs may share one
    /// physical core's floating-point units, all the time or only while the host is busy, and then no split of the
    /// work (OpenBLAS's threads, the pair thread) can go faster than one core; the step's ratios read differently.
    /// </summary>
    private static void Cores(TextWriter log)
    {
        if (get_num_threads() < 2) return;
        const double seconds = 0.5;
        var (alone, _) = Threading.SideBySide(() => GemmRate(seconds), () => 0.0);
        var (first, second) = Threading.SideBySide(() => GemmRate(seconds), () => GemmRate(seconds));
        log.WriteLine($"cores: GEMM {Batch}x784x500 on one thread {alone:F1} GFLOP/s alone, {first:F1} + {second:F1} = {first + second:F1} on two side by side (the second core adds {100 * (first + second - alone) / alone:F0} % now)");
    }

    /// <summary>GFLOP/s of x[100,784] @ W[500,784]^T on the calling thread, run back to back for the given time.</summary>
    private static double GemmRate(double seconds)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(1);
        var a = randn([Batch, 784], gen);
        var wt = randn([500, 784], gen).t();
        for (int i = 0; i < 10; i++) a.mm(wt).Dispose();
        long count = 0;
        var sw = Stopwatch.StartNew();
        for (; sw.Elapsed.TotalSeconds < seconds; count++) a.mm(wt).Dispose();
        return 2.0 * Batch * 784 * 500 * count / (sw.Elapsed.TotalSeconds * 1e9);
    }

    /// <summary>The step's two GEMM shapes as a Linear layer computes them, x[100,k] @ W[500,k]^T for k = 784 and 500.</summary>
    private sealed class GemmShapes : IDisposable
    {
        private readonly Tensor a784, wt784, a500, wt500;

        public GemmShapes()
        {
            using var scope = NewDisposeScope();
            using var gen = new Generator(1);
            a784 = scope.Detach(randn([Batch, 784], gen));
            wt784 = scope.Detach(randn([500, 784], gen).t()); // W^T as a view, as Linear computes it
            a500 = scope.Detach(randn([Batch, 500], gen));
            wt500 = scope.Detach(randn([500, 500], gen).t());
        }

        /// <summary>GFLOP/s of each shape: the median of <paramref name="count"/> runs after 10 untimed ones.</summary>
        public (double G784, double G500) Measure(int count) => (Rate(a784, wt784, count), Rate(a500, wt500, count));

        private static double Rate(Tensor a, Tensor wt, int count)
        {
            var times = new List<double>();
            for (int i = 0; i < count + 10; i++)
            {
                var t0 = Stopwatch.GetTimestamp();
                using var c = a.mm(wt);
                if (i >= 10) times.Add(Ms(t0, Stopwatch.GetTimestamp()));
            }
            return 2.0 * a.shape[0] * a.shape[1] * wt.shape[1] / (Median(times) * 1e6);
        }

        public void Dispose()
        {
            foreach (var t in new[] { a784, wt784, a500, wt500 }) t.Dispose();
        }
    }
}
