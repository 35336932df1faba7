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
    internal sealed record Result(double GemmGflops784, double GemmGflops500, double StepMs, double ForwardMs, double BackwardMs, double AdamMs, double StepGflops);

    private static readonly long[] Sizes = [784, 500, 500, 20, 500, 500, 784];
    private const int Batch = 100;

    public static Result Run(int steps, TextWriter log)
    {
        log.WriteLine($"libtorch {version}, intra-op threads {get_num_threads()}, OMP_WAIT_POLICY={Environment.GetEnvironmentVariable("OMP_WAIT_POLICY") ?? "(unset: PASSIVE set natively)"}");
        log.WriteLine($"BLAS: {Threading.BlasConfig} (threads {Threading.BlasThreads})");
        Threading.WriteBlasNote(log);
        log.WriteLine($"machine: {Environment.ProcessorCount} logical cores, {Environment.OSVersion}");

        var g784 = Gemm(Batch, 784, 500, log);
        var g500 = Gemm(Batch, 500, 500, log);
        Cores(log);

        using var gen = new Generator(0);
        using var model = nn.MLP(Sizes, Activation.Softplus, generator: gen);
        using var adam = optim.Adam(model.parameters(), lr: 1e-3);
        using var x = rand([Batch, 784], gen).gt(0.5).to(float32);
        double fwd = 0, bwd = 0, opt = 0;
        var sw = new Stopwatch();
        int warm = Math.Min(20, steps / 5);
        var times = new List<double>();
        for (int i = 0; i < steps + warm; i++)
        {
            using var scope = NewDisposeScope();
            if (i == warm) Threading.TakePairStatistics();  // from here on, the timed steps'
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
            if (i < warm) continue;
            fwd += Ms(t0, t1); bwd += Ms(t1, t2); opt += Ms(t2, t3);
            times.Add(Ms(t0, t3));
        }
        var pair = Threading.TakePairStatistics();
        double timedMs = times.Sum();
        times.Sort();
        double median = times[times.Count / 2];
        // GEMM work of one step: forward 2·B·Σ in·out; backward dW for every layer and dX for all but the first.
        double fwdFlops = 0, firstLayer = 2.0 * Batch * Sizes[0] * Sizes[1];
        for (int l = 0; l + 1 < Sizes.Length; l++) fwdFlops += 2.0 * Batch * Sizes[l] * Sizes[l + 1];
        double stepFlops = fwdFlops * 3 - firstLayer;
        double stepGflops = stepFlops / (median * 1e6);
        double gemm = (g784 + g500) / 2;
        log.WriteLine($"MLP AE step (batch {Batch}, {string.Join("-", Sizes)}, softplus, Bernoulli, Adam), {steps} steps:");
        log.WriteLine($"  median {median:F2} ms  [forward {fwd / steps:F2} | backward {bwd / steps:F2} | adam {opt / steps:F2}] (means)");
        // An epoch costs the mean, not the median: a step that waits on a preempted core shows here first.
        log.WriteLine($"  mean {times.Average():F2} ms, 10th percentile {times[times.Count / 10]:F2}, 90th {times[times.Count * 9 / 10]:F2}, 99th {times[times.Count * 99 / 100]:F2}");
        log.WriteLine($"  GEMM work {stepFlops / 1e9:F3} GFLOP/step -> {stepGflops:F1} GFLOP/s = {100 * stepGflops / gemm:F0}% of the GEMM throughput at these shapes ({gemm:F1} GFLOP/s)");
        log.WriteLine($"  an epoch of MNIST (600 steps) ≈ {median * 600 / 1000:F1} s");
        log.WriteLine("  " + pair.Describe(steps, TimeSpan.FromMilliseconds(timedMs)));
        ConvStep(steps, log);
        return new Result(g784, g500, median, fwd / steps, bwd / steps, opt / steps, stepGflops);
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
        times.Sort();
        double median = times[times.Count / 2];
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

    /// <summary>GFLOP/s of x[m,k] @ W[n,k]^T, as a Linear layer computes it (median of repeated runs).</summary>
    private static double Gemm(long m, long k, long n, TextWriter log)
    {
        using var scope = NewDisposeScope();
        using var gen = new Generator(1);
        var a = randn([m, k], gen);
        var w = randn([n, k], gen);
        var wt = w.t();
        var times = new List<double>();
        for (int i = 0; i < 220; i++)
        {
            var t0 = Stopwatch.GetTimestamp();
            using var c = a.mm(wt);
            if (i >= 20) times.Add(Ms(t0, Stopwatch.GetTimestamp()));
        }
        times.Sort();
        double gflops = 2.0 * m * k * n / (times[times.Count / 2] * 1e6);
        log.WriteLine($"GEMM {m}x{k}x{n}: {gflops:F1} GFLOP/s (median of {times.Count})");
        return gflops;
    }
}
