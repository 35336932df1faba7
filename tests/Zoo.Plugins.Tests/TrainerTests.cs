using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;

namespace Zoo.Plugins.Tests;

/// <summary>The trainer on a slice of real MNIST (installed by scripts/setup.sh).</summary>
[Collection("Serial")]
public class TrainerTests
{
    [Fact]
    public void Resuming_from_a_checkpoint_gives_the_same_numbers_as_an_uninterrupted_run()
    {
        using var sp = Zoo.Services();
        var plugin = sp.Catalog().Model("bernoulli-vae");
        var (a, b) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            // Earlier tests' undisposed tensors are finalized first: a collection mid-run would move the count below.
            SettledLiveTensors();
            // Stochastic binarisation and MC KL put every use of the generator on the path.
            var full = new Trainer(plugin, Zoo.SmallConfig(plugin, "binarize=stochastic", "kl=monte-carlo")).Run(a, resume: false).Metrics;
            new Trainer(plugin, Zoo.SmallConfig(plugin, "binarize=stochastic", "kl=monte-carlo", "epochs=1")).Run(b, resume: false);
            var resumed = new Trainer(plugin, Zoo.SmallConfig(plugin, "binarize=stochastic", "kl=monte-carlo")).Run(b, resume: true).Metrics;

            resumed.Count.ShouldBe(3);
            for (int i = 0; i < 3; i++)
            {
                var (x, y) = (full[i], resumed[i]);
                (y.TrainElbo, y.TrainKl, y.TestElbo, y.TestKl).ShouldBe((x.TrainElbo, x.TrainKl, x.TestElbo, x.TestKl), $"epoch {i + 1}");
            }
            full[^1].TestElbo.ShouldBeGreaterThan(full[0].TestElbo);
            // No growth of live native tensors across epochs.
            full.Select(m => m.LiveTensors).Distinct().Count().ShouldBe(1);
            File.ReadAllLines(Trainer.MetricsPath(b)).Length.ShouldBe(4);
            File.ReadAllText(Trainer.MetricsPath(a)).Split('\n')[0].ShouldBe(EpochMetrics.CsvHeader);
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    [Theory]
    [InlineData(0)]   // stopped before the first batch of epoch 2
    [InlineData(5)]   // mid-epoch
    public void Stopping_mid_epoch_checkpoints_at_the_batch_boundary_and_resuming_reaches_the_same_numbers(int batchesIntoEpoch2)
    {
        using var sp = Zoo.Services();
        var plugin = sp.Catalog().Model("bernoulli-vae");
        var (a, b) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            string[] settings = ["binarize=stochastic", "kl=monte-carlo", "epochs=2"];
            var full = new Trainer(plugin, Zoo.SmallConfig(plugin, settings)).Run(a, resume: false).Metrics;

            using var cts = new CancellationTokenSource();
            var stop = new StopAt(2, batchesIntoEpoch2, cts);
            var e = Should.Throw<TrainingInterruptedException>(() =>
                new Trainer(plugin, Zoo.SmallConfig(plugin, settings)).Run(b, resume: false, stop, cancel: cts.Token));
            e.Message.ShouldBe($"bernoulli-vae: stopped at epoch 2, batch {batchesIntoEpoch2} of 12; checkpointed, resume to continue");
            var state = CheckpointState.Load(CheckpointState.Locate(b));
            (state.Epoch, state.Partial!.Epoch, state.Partial.BatchesDone).ShouldBe((1, 2, batchesIntoEpoch2));

            var resumed = new Trainer(plugin, Zoo.SmallConfig(plugin, settings)).Run(b, resume: true).Metrics;
            resumed.Count.ShouldBe(2);
            for (int i = 0; i < 2; i++)
                (resumed[i].TrainElbo, resumed[i].TrainLoss, resumed[i].TestElbo, resumed[i].TestKl)
                    .ShouldBe((full[i].TrainElbo, full[i].TrainLoss, full[i].TestElbo, full[i].TestKl), $"epoch {i + 1}");
            CheckpointState.Load(CheckpointState.Locate(b)).Partial.ShouldBeNull();
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    /// <summary>Requests a stop once the given epoch has done the given number of batches.</summary>
    private sealed class StopAt(int epoch, int batches, CancellationTokenSource cts) : ITrainingObserver
    {
        public void EpochStarted(int e, int epochs, int n) { if (e == epoch && batches == 0) cts.Cancel(); }
        public void BatchDone(int e, int batch, double loss) { if (e == epoch && batch == batches) cts.Cancel(); }
        public void EpochDone(EpochMetrics m) { }
    }

    [Fact]
    public void A_trained_run_reopens_with_its_config_and_weights()
    {
        using var sp = Zoo.Services();
        var plugin = sp.Catalog().Model("bernoulli-vae");
        var dir = Zoo.TempDir();
        try
        {
            var config = Zoo.SmallConfig(plugin, "epochs=1", "latent=3");
            var metrics = new Trainer(plugin, config).Run(dir, resume: false).Metrics;
            using var run = TrainedRun.Open(dir, sp.Catalog());
            run.Plugin.Name.ShouldBe("bernoulli-vae");
            plugin.Config.ToJson(run.Config).ShouldBe(plugin.Config.ToJson(config));
            run.Model.LatentDim.ShouldBe(3);
            using var data = run.LoadData();
            var (rec, kl) = Trainer.Evaluate(run.Model, data.Test, run.Training.Seed);
            (rec - kl).ShouldBe(metrics[^1].TestElbo, 1e-9);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_nan_loss_stops_training_naming_the_epoch_and_batch()
    {
        using var sp = Zoo.Services();
        var inner = sp.Catalog().Model("bernoulli-vae");
        var dir = Zoo.TempDir();
        try
        {
            var plugin = new NanAfter(inner, calls: 15);  // 12 batches per epoch: epoch 2, batch 3
            var e = Should.Throw<TrainingDivergedException>(() => new Trainer(plugin, Zoo.SmallConfig(inner)).Run(dir, resume: false));
            e.Message.ShouldContain("loss is NaN at epoch 2, batch 3 of 12");
            // The last complete epoch's checkpoint is intact.
            CheckpointState.Load(CheckpointState.Locate(dir)).Epoch.ShouldBe(1);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_crash_between_the_checkpoint_renames_leaves_the_previous_checkpoint_readable()
    {
        using var sp = Zoo.Services();
        var plugin = sp.Catalog().Model("bernoulli-vae");
        var dir = Zoo.TempDir();
        try
        {
            new Trainer(plugin, Zoo.SmallConfig(plugin, "epochs=1")).Run(dir, resume: false);
            Directory.Move(Path.Combine(dir, "checkpoint"), Path.Combine(dir, "checkpoint.old"));
            CheckpointState.Locate(dir).ShouldEndWith("checkpoint.old");
            File.WriteAllText(Path.Combine(dir, "checkpoint.old", "state.json"), "{ \"model\": ");
            Should.Throw<InvalidDataException>(() => CheckpointState.Load(CheckpointState.Locate(dir)))
                .Message.ShouldStartWith(Path.Combine(dir, "checkpoint.old", "state.json") + ": malformed checkpoint state");
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void Training_refuses_to_overwrite_a_run_unless_resuming()
    {
        using var sp = Zoo.Services();
        var plugin = sp.Catalog().Model("bernoulli-vae");
        var dir = Zoo.TempDir();
        try
        {
            new Trainer(plugin, Zoo.SmallConfig(plugin, "epochs=1")).Run(dir, resume: false);
            Should.Throw<IOException>(() => new Trainer(plugin, Zoo.SmallConfig(plugin, "epochs=1")).Run(dir, resume: false))
                .Message.ShouldContain("--resume");
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>A model plugin whose loss turns NaN on the given call.</summary>
    private sealed class NanAfter(IModelPlugin inner, int calls) : IModelPlugin
    {
        public PluginKind Kind => inner.Kind;
        public string Name => inner.Name;
        public string Description => inner.Description;
        public IConfigSchema Config => inner.Config;
        public IVaeModel Create(object config, DataShape data, Generator generator) => new Model(inner.Create(config, data, generator), calls);

        private sealed class Model(IVaeModel inner, int nanAt) : IVaeModel
        {
            private int count;
            public nn.Module Module => inner.Module;
            public int LatentDim => inner.LatentDim;
            public DiagonalGaussian Encode(Tensor x) => inner.Encode(x);
            public Tensor Decode(Tensor z) => inner.Decode(z);
            public Tensor Sample(long n, Generator generator) => inner.Sample(n, generator);
            public void Dispose() => inner.Dispose();

            public ElboTerms Loss(Tensor x, Generator generator)
            {
                var t = inner.Loss(x, generator);
                if (!is_grad_enabled() || ++count < nanAt) return t;
                return t with { Loss = t.Loss * double.NaN };
            }
        }
    }
}

[CollectionDefinition("Serial", DisableParallelization = true)]
public sealed class SerialCollection;
