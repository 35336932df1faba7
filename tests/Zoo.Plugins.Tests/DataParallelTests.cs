using System.Net;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch.Distributed;

namespace Zoo.Plugins.Tests;

/// <summary>
/// Two ranks of a data-parallel run, as two threads of this process joined over loopback by the shim's Gloo group:
/// the same steps as one process (a noise-free model, so only sharding, the weighted gradient sum and Adam are
/// compared), the same epoch figures, and a resume across a stop equal to an uninterrupted two-rank run.
/// </summary>
public class DataParallelTests
{

    /// <summary>Trains with <paramref name="world"/> ranks (threads; 1 = alone) and returns rank 0's result.</summary>
    private static TrainingResult Train(int world, string dir, TrainingConfig cfg, TrainingData data, Func<Generator, IVaeModel> model, bool resume = false)
    {
        if (world == 1) return new Trainer("vae", "{}", cfg, data, model).Run(dir, resume);
        var port = LaunchSettings.FreeLoopbackPort();
        var ranks = Enumerable.Range(0, world).Select(rank => Task.Run(() =>
        {
            using var group = ProcessGroup.Connect("127.0.0.1", port, rank, world, TimeSpan.FromSeconds(30));
            return new Trainer("vae", "{}", cfg, data, model) { Ranks = group }.Run(dir, resume);
        })).ToArray();
        Task.WaitAll(ranks, TimeSpan.FromSeconds(120)).ShouldBeTrue("the ranks did not finish");
        return ranks[0].Result;
    }

    private static Dictionary<string, float[]> Parameters(string dir)
    {
        using var f = SafeTensors.Load(CheckpointState.ModelPath(Path.Combine(dir, CheckpointState.Folder)));
        return f.Tensors.ToDictionary(kv => kv.Key, kv => kv.Value.data<float>());
    }

    [Fact]
    public void Two_ranks_take_the_steps_of_one_process_and_report_the_same_epoch_figures()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var plugin = catalog.Model("vae");
        var config = plugin.Config.Bind(Zoo.Pairs("latent=3", "encoder.hidden=16", "decoder.hidden=16"), "test", catalog);
        using var data = TrainingData.FromImages(InMemoryData.Stripes("stripes-train", 300, 1), InMemoryData.Stripes("stripes-test", 100, 2), Binarization.None, classes: 3);
        // Batches of 33: shards of 17 and 16 rows, and a last batch of 3 rows (2 and 1): the gradient weights must be exact.
        var cfg = new TrainingKeys { Epochs = 2, BatchSize = 33, Seed = 7, LearningRate = 3e-3 };
        var (one, two) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            var alone = Train(1, one, cfg, data, g => new NoiseFree(plugin.Create(config, data.Shape, g)));
            var ranks = Train(2, two, cfg, data, g => new NoiseFree(plugin.Create(config, data.Shape, g)));
            var (a, b) = (Parameters(one), Parameters(two));
            b.Keys.ShouldBe(a.Keys);
            var moved = 0.0;
            using (var init = new Generator(7))
            using (var fresh = new NoiseFree(plugin.Create(config, data.Shape, init)))
                moved = fresh.Module.named_parameters().Max(p => p.parameter.data<float>().Zip(a[p.name], (x, y) => Math.Abs(x - y)).Max());
            moved.ShouldBeGreaterThan(1e-3); // 20 Adam steps moved the weights, so equal weights mean equal steps
            foreach (var (name, values) in a)
                for (int i = 0; i < values.Length; i++)
                    b[name][i].ShouldBe(values[i], 2e-5, $"{name}[{i}]");
            for (int e = 0; e < 2; e++)
            {
                var (x, y) = (alone.Metrics[e], ranks.Metrics[e]);
                y.TrainLoss.ShouldBe(x.TrainLoss, 1e-4, $"epoch {e + 1} train loss");
                y.TrainElbo.ShouldBe(x.TrainElbo, 1e-4, $"epoch {e + 1} train ELBO");
                y.TestElbo.ShouldBe(x.TestElbo, 1e-4, $"epoch {e + 1} test ELBO");
                y.TestKl.ShouldBe(x.TestKl, 1e-5, $"epoch {e + 1} test KL");
            }
            CheckpointState.Load(Path.Combine(two, CheckpointState.Folder)).WorldSize.ShouldBe(2);
            // 10 steps an epoch; the gradients (one bucket at this size) and the two step values; the bucket left from
            // the gradient accumulators' hooks, inside backward, at every step.
            alone.Traffic.ShouldBeNull();
            ranks.Traffic!.Steps.ShouldBe(20);
            ranks.Traffic.BytesPerStep.ShouldBe(sizeof(float) * (a.Values.Sum(v => v.Length) + 2));
            (ranks.Traffic.Buckets, ranks.Traffic.BucketsDuringBackward).ShouldBe((1, 1.0));
        }
        finally
        {
            Directory.Delete(one, true);
            Directory.Delete(two, true);
        }
    }

    [Fact]
    public void A_two_rank_run_resumed_after_a_stop_equals_an_uninterrupted_one_and_needs_two_ranks()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var plugin = catalog.Model("vae");
        // Every source of noise: stochastic binarisation, Monte Carlo KL: each rank's stream must resume where it stopped.
        var config = plugin.Config.Bind(Zoo.Pairs("latent=3", "encoder.hidden=16", "decoder.hidden=16", "kl=monte-carlo"), "test", catalog);
        using var data = TrainingData.FromImages(InMemoryData.Stripes("stripes-train", 300, 1), InMemoryData.Stripes("stripes-test", 100, 2), Binarization.Stochastic, classes: 3);
        var (full, stopped) = (Zoo.TempDir(), Zoo.TempDir());
        IVaeModel Model(Generator g) => plugin.Create(config, data.Shape, g);
        try
        {
            var uninterrupted = Train(2, full, new TrainingKeys { Epochs = 3, BatchSize = 32, Seed = 5 }, data, Model).Metrics;
            Train(2, stopped, new TrainingKeys { Epochs = 1, BatchSize = 32, Seed = 5 }, data, Model);
            var resumed = Train(2, stopped, new TrainingKeys { Epochs = 3, BatchSize = 32, Seed = 5 }, data, Model, resume: true).Metrics;
            for (int e = 0; e < 3; e++)
                (resumed[e].TrainElbo, resumed[e].TrainLoss, resumed[e].TestElbo, resumed[e].TestKl).ShouldBe(
                    (uninterrupted[e].TrainElbo, uninterrupted[e].TrainLoss, uninterrupted[e].TestElbo, uninterrupted[e].TestKl), $"epoch {e + 1}");
            var (a, b) = (Parameters(full), Parameters(stopped));
            foreach (var (name, values) in a) b[name].ShouldBe(values, name);

            // One process cannot continue it: the ranks' noise streams are part of the run.
            Should.Throw<InvalidDataException>(() => Train(1, stopped, new TrainingKeys { Epochs = 4, BatchSize = 32, Seed = 5 }, data, Model, resume: true))
                .Message.ShouldContain("the checkpoint was written by 2 ranks; resume it with 2 ranks, not one process");
        }
        finally
        {
            Directory.Delete(full, true);
            Directory.Delete(stopped, true);
        }
    }

    /// <summary>Joins ranks on threads; each rank's exception message, or null where it joined.</summary>
    private static string?[] Join(params (int Rank, int World)[] ranks)
    {
        var port = LaunchSettings.FreeLoopbackPort();
        var joins = ranks.Select(r => Task.Run(() =>
        {
            try { using var g = ProcessGroup.Connect("127.0.0.1", port, r.Rank, r.World, TimeSpan.FromSeconds(3)); return null; }
            catch (DistributedException e) { return e.Message; }
        })).ToArray();
        Task.WaitAll(joins, TimeSpan.FromSeconds(60)).ShouldBeTrue("the ranks did not give up");
        return joins.Select(j => j.Result).ToArray();
    }

    [Fact]
    public async Task Batch_norm_running_estimates_are_averaged_over_the_ranks_and_counts_left_alone()
    {
        var port = LaunchSettings.FreeLoopbackPort();
        var ranks = Enumerable.Range(0, 2).Select(rank => Task.Run(() =>
        {
            using var group = ProcessGroup.Connect("127.0.0.1", port, rank, 2, TimeSpan.FromSeconds(30));
            using var norm = new global::Zoo.Torch.Modules.BatchNorm2d(3);
            using var _ = no_grad();
            // Each rank's estimates from its own shards: rank r holds means r + c and variances 2r + 1.
            using (var mean = tensor(new float[] { rank, rank + 1, rank + 2 })) norm.running_mean.copy_(mean);
            using (var variance = tensor(new float[] { 2 * rank + 1, 2 * rank + 1, 2 * rank + 1 })) norm.running_var.copy_(variance);
            using var parallel = new DataParallel(group, norm.parameters());
            parallel.AverageBuffers(norm);
            var counts = norm.named_buffers().Where(b => b.buffer.dtype != ScalarType.Float32).Select(b => b.buffer.item<long>()).ToArray();
            return (Mean: norm.running_mean.data<float>().ToArray(), Var: norm.running_var.data<float>().ToArray(), Counts: counts);
        })).ToArray();
        var results = await Task.WhenAll(ranks).WaitAsync(TimeSpan.FromSeconds(60));
        foreach (var r in results)
        {
            r.Mean.ShouldBe([0.5f, 1.5f, 2.5f]);
            r.Var.ShouldBe([2f, 2f, 2f]);
            r.Counts.ShouldAllBe(c => c == 0);
        }
    }

    [Fact]
    public void Ranks_that_disagree_on_the_world_or_share_a_rank_are_refused_in_one_line()
    {
        var disagree = Join((0, 2), (1, 3));
        disagree[1].ShouldBe("distributed: WORLD_SIZE is 3 on rank 1 but 2 on rank 0");
        disagree[0].ShouldStartWith("distributed: rank 0 could not connect to every other rank within 3 s");

        var twice = Join((0, 3), (1, 3), (1, 3));
        twice.Count(m => m == "distributed: rank 1 was started twice (each RANK must be unique)").ShouldBe(1);
        twice.ShouldAllBe(m => m != null && !m.Contains('\n'));
    }

    /// <summary>A VAE without noise: the posterior mean is decoded and the KL is analytic, so a step depends only on the batch.</summary>
    private sealed class NoiseFree(IVaeModel inner) : IVaeModel
    {
        public nn.Module Module => inner.Module;
        public int LatentDim => inner.LatentDim;
        public DiagonalGaussian Encode(Tensor x) => inner.Encode(x);
        public Tensor Decode(Tensor z) => inner.Decode(z);
        public Tensor Sample(long n, Generator generator) => inner.Sample(n, generator);
        public void Dispose() => inner.Dispose();

        public ElboTerms Loss(Tensor x, Generator generator)
        {
            var q = inner.Encode(x);
            var rec = -(inner.Decode(q.Mean) - x).square().sum([1]);
            var kl = (q.Mean.square() + q.LogVar.exp() - q.LogVar - 1).sum([1]) * 0.5;
            var elbo = rec - kl;
            return new ElboTerms(-elbo.mean(), rec, kl, elbo);
        }
    }
}
