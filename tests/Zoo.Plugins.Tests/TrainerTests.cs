using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Plugins.Reporting.MetricsFile;

namespace Zoo.Plugins.Tests;

/// <summary>The trainer on a slice of real MNIST (installed by scripts/setup.sh), and on data made in memory.</summary>
[Collection("Serial")]
public class TrainerTests
{
    [Fact]
    public void Resuming_from_a_checkpoint_gives_the_same_numbers_as_an_uninterrupted_run()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var (a, b) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            // Earlier tests' undisposed tensors are finalized first: a collection mid-run would move the count below.
            SettledLiveTensors();
            // Stochastic binarisation and MC KL put every use of the generator on the path.
            var full = catalog.SmallRun("bernoulli-vae", "dataset.binarize=stochastic", "kl=monte-carlo").Train(a, false, catalog.Callbacks()).Metrics;
            catalog.SmallRun("bernoulli-vae", "dataset.binarize=stochastic", "kl=monte-carlo", "epochs=1").Train(b, false, catalog.Callbacks());
            var resumed = catalog.SmallRun("bernoulli-vae", "dataset.binarize=stochastic", "kl=monte-carlo").Train(b, true, catalog.Callbacks()).Metrics;

            resumed.Count.ShouldBe(3);
            for (int i = 0; i < 3; i++)
            {
                var (x, y) = (full[i], resumed[i]);
                (y.TrainElbo, y.TrainKl, y.TestElbo, y.TestKl, y.ActiveUnits).ShouldBe((x.TrainElbo, x.TrainKl, x.TestElbo, x.TestKl, x.ActiveUnits), $"epoch {i + 1}");
            }
            full[^1].TestElbo.ShouldBeGreaterThan(full[0].TestElbo);
            full.ShouldAllBe(m => m.ActiveUnits >= 0 && m.ActiveUnits <= 4); // the latent-activity callback measured every epoch
            // No growth of live native tensors across epochs.
            full.Select(m => m.LiveTensors).Distinct().Count().ShouldBe(1);
            File.ReadAllLines(MetricsFileCallback.MetricsPath(b)).Length.ShouldBe(4);
            File.ReadAllText(MetricsFileCallback.MetricsPath(a)).Split('\n')[0].ShouldBe(EpochMetrics.CsvHeader());
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
        var catalog = sp.Catalog();
        var (a, b) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            string[] settings = ["dataset.binarize=stochastic", "kl=monte-carlo", "epochs=2"];
            var full = catalog.SmallRun("bernoulli-vae", settings).Train(a, false, []).Metrics;

            using var cts = new CancellationTokenSource();
            var stop = new StopAt(2, batchesIntoEpoch2, cts);
            var e = Should.Throw<TrainingInterruptedException>(() =>
                catalog.SmallRun("bernoulli-vae", settings).Train(b, false, [], stop, cts.Token));
            e.Message.ShouldBe($"bernoulli-vae: stopped at epoch 2, batch {batchesIntoEpoch2} of 12; checkpointed, resume to continue");
            var state = CheckpointState.Load(CheckpointState.Locate(b));
            (state.Epoch, state.Partial!.Epoch, state.Partial.BatchesDone).ShouldBe((1, 2, batchesIntoEpoch2));

            var resumed = catalog.SmallRun("bernoulli-vae", settings).Train(b, true, []).Metrics;
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
        var catalog = sp.Catalog();
        var dir = Zoo.TempDir();
        try
        {
            var config = catalog.SmallRun("bernoulli-vae", "epochs=1", "latent=3");
            var metrics = config.Train(dir, false, []).Metrics;
            using var run = TrainedRun.Open(dir, catalog);
            run.Plugin.Name.ShouldBe("bernoulli-vae");
            run.Config.ToJson().ShouldBe(config.ToJson());
            run.Model.LatentDim.ShouldBe(3);
            run.Data.Binarization.ShouldBe(Binarization.Threshold);
            Trainer.Evaluate(run.Model, run.Data.Test, run.Training.Seed).Bound.ShouldBe(metrics[^1].TestElbo, 1e-9);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void A_nan_loss_stops_training_naming_the_epoch_and_batch()
    {
        using var sp = Zoo.Services();
        var run = sp.Catalog().SmallRun("bernoulli-vae");
        var dir = Zoo.TempDir();
        try
        {
            using var data = run.LoadData();
            // 12 batches per epoch: the 15th loss is epoch 2, batch 3.
            var trainer = new Trainer(run.Model.Name, run.ToJson(), run, data, g => new NanAfter(run.CreateModel(data.Shape, g), 15));
            var e = Should.Throw<TrainingDivergedException>(() => trainer.Run(dir, resume: false));
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
        var dir = Zoo.TempDir();
        try
        {
            sp.Catalog().SmallRun("bernoulli-vae", "epochs=1").Train(dir, false, []);
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
        var catalog = sp.Catalog();
        var dir = Zoo.TempDir();
        try
        {
            catalog.SmallRun("bernoulli-vae", "epochs=1").Train(dir, false, []);
            Should.Throw<IOException>(() => catalog.SmallRun("bernoulli-vae", "epochs=1").Train(dir, false, []))
                .Message.ShouldContain("--resume");
        }
        finally { Directory.Delete(dir, true); }
    }


    /// <summary>Images held as their bytes give the very batches and test inputs their floats give, for each binarisation.</summary>
    [Theory]
    [InlineData(Binarization.None)]
    [InlineData(Binarization.Threshold)]
    [InlineData(Binarization.Stochastic)]
    public void Eight_bit_images_train_and_test_as_their_floats_would(Binarization binarization)
    {
        TrainingData Data(bool asBytes)
        {
            ImageDataset Set(string name, int n, int seed)
            {
                var codes = new byte[n * 36];
                new Random(seed).NextBytes(codes); // every code 0..255, the threshold's cut among them
                var labels = tensor(new long[n]);
                return asBytes ? ImageDataset.FromCodes(name, 6, 6, tensor(codes, [n, 36]), labels, 36)
                    : ImageDataset.FromTensors(name, 6, 6, ImageDataset.FromEightBit(tensor(codes, [n, 36])), labels);
            }
            return TrainingData.FromImages(Set("train", 300, 1), Set("test", 50, 2), binarization, classes: 1);
        }
        using var bytes = Data(asBytes: true);
        using var floats = Data(asBytes: false);
        bytes.TrainInputs.dtype.ShouldBe(ScalarType.Byte); // a quarter of the floats' memory
        bytes.Train.Codes.ShouldNotBeNull();
        bytes.Test.equal(floats.Test).ShouldBeTrue();
        using var index = tensor(new long[] { 299, 0, 17, 150 });
        using var g1 = new Generator(3);
        using var g2 = new Generator(3);
        using var a = bytes.TrainBatch(index, g1);
        using var b = floats.TrainBatch(index, g2);
        (a.dtype, a.equal(b)).ShouldBe((ScalarType.Float32, true));
    }

    [Fact]
    public void The_trainer_trains_on_data_made_in_memory_and_resumes_it_identically()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var plugin = catalog.Model("vae");
        var model = plugin.Config.Bind(Zoo.Pairs("latent=3", "encoder.hidden=16", "decoder.hidden=16", "kl=monte-carlo"), "test", catalog);
        using var data = TrainingData.FromImages(InMemoryData.Stripes("stripes-train", 300, 1), InMemoryData.Stripes("stripes-test", 100, 2), Binarization.Stochastic, classes: 3);
        data.Shape.ShouldBe(new DataShape(36, 6, 6, 3));
        var (a, b) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            TrainingResult Train(string dir, int epochs, bool resume) =>
                new Trainer("vae", "{}", new TrainingKeys { Epochs = epochs, BatchSize = 32, Seed = 5 }, data, g => plugin.Create(model, data.Shape, g))
                    .Run(dir, resume);

            var full = Train(a, 2, resume: false);
            full.Metrics.Count.ShouldBe(2);
            full.Files.ShouldBeEmpty(); // no callbacks: the trainer writes only its config and checkpoint (and its lock, empty)
            Directory.GetFileSystemEntries(a).Select(Path.GetFileName).Order().ShouldBe(["checkpoint", "config.json", "run.lock"]);
            full.Metrics.ShouldAllBe(m => double.IsFinite(m.TrainElbo) && double.IsFinite(m.TestElbo) && double.IsFinite(m.TestKl) && m.TestKl > 0);
            full.Metrics.ShouldAllBe(m => m.ActiveUnits == -1 && m.Extra == null); // nobody measured them
            full.Metrics[1].TestElbo.ShouldBeGreaterThan(full.Metrics[0].TestElbo);

            Train(b, 1, resume: false);
            var resumed = Train(b, 2, resume: true).Metrics;
            resumed.Count.ShouldBe(2);
            for (int i = 0; i < 2; i++)
                (resumed[i].TrainElbo, resumed[i].TrainLoss, resumed[i].TestElbo, resumed[i].TestKl)
                    .ShouldBe((full.Metrics[i].TrainElbo, full.Metrics[i].TrainLoss, full.Metrics[i].TestElbo, full.Metrics[i].TestKl), $"epoch {i + 1}");
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    /// <summary>A model whose loss turns NaN on the given call.</summary>
    private sealed class NanAfter(IVaeModel inner, int nanAt) : IVaeModel
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

[CollectionDefinition("Serial", DisableParallelization = true)]
public sealed class SerialCollection;
