using System.Diagnostics;
using System.Globalization;
using Zoo.Core.Evaluation;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;

namespace Zoo.Plugins.Tests;

/// <summary>The memory estimate before training and the memory-bounded importance sampling of evaluation.</summary>
[Collection("Serial")] // the RSS comparison reads the process's peak memory
public class MemoryTests
{
    private const long GiB = 1L << 30;

    private static MemoryEstimate Estimate(RunConfig run)
    {
        using var data = run.LoadData();
        return MemoryEstimate.ForTraining(run.Model.Name, g => run.CreateModel(data.Shape, g), run, data).ShouldNotBeNull();
    }

    [Theory]
    [InlineData("encoder.hidden=65536,65536 decoder.hidden=65536,65536 latent=4096", "activations at evaluation batch 500 ")]
    [InlineData("samples=1000 batch-size=1000 latent=4096", "activations at batch 1000 × 1000 samples ")]
    public void Configs_the_ranges_allow_but_no_machine_here_holds_are_refused_in_one_line_without_allocating(string settings, string where)
    {
        using var sp = Zoo.Services();
        var run = RunConfig.Bind("bernoulli-vae", Zoo.Pairs([.. settings.Split(' '), "dataset.train-limit=1000", "dataset.test-limit=500"]), sp.Catalog());
        var sw = Stopwatch.StartNew();
        var estimate = Estimate(run);
        sw.Elapsed.ShouldBeLessThan(TimeSpan.FromSeconds(20)); // measured on the meta device: no storage, no arithmetic
        estimate.Total.ShouldBeGreaterThan(30 * GiB); // 43 GiB for the second since the reparameterised draw is one node (it was 50+)
        var e = Should.Throw<NotEnoughMemoryException>(() => estimate.EnsureFits(available: 21 * GiB + 3 * GiB / 10));
        e.Message.ShouldNotContain("\n");
        e.Message.ShouldStartWith("bernoulli-vae needs about ");
        e.Message.ShouldContain(where);
        e.Message.ShouldContain("but 21.3 GiB is available; lower hidden, latent, batch-size or samples");
    }

    [Fact]
    public void The_huge_run_is_refused_by_the_trainer_before_its_folder_is_made()
    {
        using var sp = Zoo.Services();
        var run = RunConfig.Bind("bernoulli-vae", Zoo.Pairs("encoder.hidden=65536,65536", "decoder.hidden=65536,65536", "latent=4096",
            "dataset.train-limit=1000", "dataset.test-limit=500"), sp.Catalog());
        var dir = Path.Combine(Zoo.TempDir(), "run");
        // 142 GiB: more than any machine this runs on has, so the real figure of what is available refuses it.
        Should.Throw<NotEnoughMemoryException>(() => run.Train(dir, resume: false, callbacks: []));
        Directory.Exists(dir).ShouldBeFalse();
    }

    [Fact]
    public void Seed_003s_default_set_up_is_accepted_and_its_figures_add_up()
    {
        using var sp = Zoo.Services();
        var estimate = Estimate(RunConfig.Bind("bernoulli-vae", Zoo.Pairs("dataset.train-limit=1000", "dataset.test-limit=500"), sp.Catalog()));
        // 784-500-500-20 encoder (μ and log σ² heads) and 20-500-500-784 decoder: 1,316,824 floats.
        estimate.Parameters.ShouldBe(4L * 1_316_824);
        estimate.Gradients.ShouldBe(estimate.Parameters);
        estimate.OptimizerState.ShouldBe(2 * estimate.Parameters);
        estimate.Activations.ShouldBeInRange(1L << 20, 64L << 20);
        estimate.EnsureFits(available: 1 * GiB);
    }

    [Fact]
    public void The_vfae_runs_on_the_meta_device_too()
    {
        using var sp = Zoo.Services();
        var estimate = Estimate(RunConfig.Bind("vfae", Zoo.Pairs(), sp.Catalog()));
        estimate.Parameters.ShouldBeGreaterThan(0);
        estimate.ActivationsAt.ShouldContain("classes");
        estimate.Hint.ShouldBe("hidden, latent or batch-size");
    }

    [Fact]
    public void The_estimate_is_within_a_factor_of_two_of_the_peak_memory_the_run_really_takes()
    {
        using var sp = Zoo.Services();
        var run = RunConfig.Bind("bernoulli-vae", Zoo.Pairs("encoder.hidden=1024,1024", "decoder.hidden=1024,1024", "latent=64", "samples=8",
            "batch-size=2000", "epochs=1", "dataset.train-limit=2000", "dataset.test-limit=200"), sp.Catalog());
        using var data = run.LoadData();
        var estimate = MemoryEstimate.ForTraining(run.Model.Name, g => run.CreateModel(data.Shape, g), run, data).ShouldNotBeNull();
        var dir = Path.Combine(Zoo.TempDir(), "run");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        // The shim keeps freed blocks in glibc's heap (raised trim threshold): hand them back first, so that the run's
        // tensors show up as growth of the resident set rather than reuse of pages it already holds.
        malloc_trim(0);
        File.WriteAllText("/proc/self/clear_refs", "5"); // resets the peak resident set (VmHWM) to the current one
        long before = Status("VmHWM");
        new Trainer(run.Model.Name, run.ToJson(), run, data, g => run.CreateModel(data.Shape, g)).Run(dir, resume: false);
        long growth = Status("VmHWM") - before;
        estimate.Total.ShouldBeGreaterThan(256L << 20);
        ((double)growth).ShouldBeInRange(estimate.Total / 2.0, estimate.Total * 2.0,
            $"estimate {MemoryEstimate.Size(estimate.Total)}, peak RSS growth {MemoryEstimate.Size(growth)}");
    }

    [System.Runtime.InteropServices.DllImport("libc")]
    private static extern int malloc_trim(nuint pad);

    private static long Status(string key) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(key + ":", StringComparison.Ordinal))
            .Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture) * 1024;

    /// <summary>
    /// The draws and chunks do not depend on the slices, and each row is computed alone, so slices of a thousand rows give
    /// the same bits. Much smaller slices may differ in the last float32 bit of a row (OpenBLAS takes other kernels for
    /// small matrices): measured, 2 rows of 40 moved by 6e-5 nats with slices of 37 rows.
    /// </summary>
    [Fact]
    public void Importance_sampling_in_slices_that_fit_gives_the_same_figures()
    {
        using var sp = Zoo.Services();
        var run = sp.Catalog().SmallRun("bernoulli-vae", "latent=8");
        using var data = run.LoadData();
        using var gen = new Generator(3);
        using var model = run.CreateModel(data.Shape, gen);
        using var x = data.Test.narrow(0, 0, 40);
        double[] Estimate(long maxRows)
        {
            using var g = new Generator(7);
            return ImportanceSampling.LogMarginal((IImportanceSampled)model, x, 700, g, maxRows: maxRows);
        }
        var whole = Estimate(long.MaxValue);
        Estimate(1000).ShouldBe(whole);
        foreach (var rows in new long[] { 37, 1 })
        {
            var sliced = Estimate(rows);
            for (int i = 0; i < whole.Length; i++) sliced[i].ShouldBe(whole[i], 1e-3, $"row {i} in slices of {rows}");
        }
    }

    /// <summary>
    /// One chunk of 1,500 samples × 3 examples: each example's 1,500 decoder rows in slices of 512, 512 and 476 against its
    /// row of x repeated by a stride of 0, the nine slices taken by both cores as they come. The estimate equals, to the
    /// last bit, one direct computation over the gathered rows from the same draws.
    /// </summary>
    [Fact]
    public void Importance_sampling_in_slices_over_both_cores_matches_a_direct_computation_from_the_same_draws()
    {
        using var sp = Zoo.Services();
        var run = sp.Catalog().SmallRun("bernoulli-vae", "latent=8");
        using var data = run.LoadData();
        using var gen = new Generator(3);
        using var model = run.CreateModel(data.Shape, gen);
        var sampled = (IImportanceSampled)model;
        using var x = data.Test.narrow(0, 0, 3);
        const int k = 1500;
        double[] got;
        using (var g = new Generator(11)) got = ImportanceSampling.LogMarginal(sampled, x, k, g);

        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var same = new Generator(11);
        var q = sampled.Encode(x);
        var (z, logQ) = q.SampleWithLogProb(same, k);                               // [k, 3, d], [k, 3]
        var xs = x.unsqueeze(0).expand(k, 3, x.size(1)).reshape(k * 3, x.size(1));
        var logW = sampled.LogJoint(xs, z.reshape(k * 3, z.size(2))).reshape(k, 3) - logQ;
        var expected = (logW.logsumexp(0) - Math.Log(k)).to(float64).data<double>().ToArray();
        for (int i = 0; i < 3; i++) got[i].ShouldBe(expected[i], $"example {i}");
    }

    [Theory]
    [InlineData("21.3GiB", 22_870_700_851L)]
    [InlineData("512 MiB", 512L << 20)]
    [InlineData("1000000", 1_000_000L)]
    [InlineData("2G", 2L << 30)]
    public void The_override_reads_bytes_or_binary_units(string text, long bytes) =>
        AvailableMemory.Parse(text).ShouldBe(bytes);

    [Fact]
    public void Without_an_override_the_figure_is_the_machines() =>
        AvailableMemory.Bytes().ShouldBeInRange(1L << 20, long.MaxValue - 1);
}
