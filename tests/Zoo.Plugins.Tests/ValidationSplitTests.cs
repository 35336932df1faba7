using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Plugins.Data.Mnist;
using Zoo.Plugins.Reporting.MetricsFile;

namespace Zoo.Plugins.Tests;

/// <summary>The validation split, model selection on it (the best checkpoint) and early stopping.</summary>
[Collection("Serial")]
public class ValidationSplitTests
{
    private static EpochMetrics Epoch(int epoch, double? valid) => new(epoch, 0, 0, 0, 0, -100 - epoch, 0, 0, 0, 0, 0, ValidElbo: valid);

    [Fact]
    public void The_best_epoch_and_early_stopping_are_read_from_the_validation_bound_alone()
    {
        // The test bound improves every epoch (−101, −102, … is worse; the selection must not read it either way).
        List<EpochMetrics> history = [Epoch(1, -90), Epoch(2, -85), Epoch(3, -86), Epoch(4, -85)];
        Selection.Best(history)!.Epoch.ShouldBe(2);
        Selection.IsBest(history.Take(2).ToList()).ShouldBeTrue();
        Selection.IsBest(history).ShouldBeFalse(); // a tie is not better: the earlier epoch stays the best
        Selection.StopEarly(history, 2)!.Epoch.ShouldBe(2);
        Selection.StopEarly(history, 3).ShouldBeNull();
        Selection.StopEarly(history, 0).ShouldBeNull();
        Selection.Best([Epoch(1, null)]).ShouldBeNull();
        Selection.StopEarly([Epoch(1, null), Epoch(2, null)], 1).ShouldBeNull();
    }

    [Fact]
    public void Mnist_holds_out_the_last_10000_training_images_for_a_model_that_selects_and_none_for_the_seed_presets()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var mnist = catalog.Data("mnist");
        using var all = mnist.Load(mnist.Config.Bind(Zoo.Pairs("validation=0", "test-limit=10"), "test"), new DataRequest(0, Binarization.None, true));
        using var held = mnist.Load(mnist.Config.Bind(Zoo.Pairs("train-limit=500", "test-limit=10"), "test"), new DataRequest(0, Binarization.None, true));
        (all.Train.Count, all.Validation).ShouldBe((60_000, null));
        held.Train.Count.ShouldBe(500);
        held.Validation!.shape.ShouldBe([10_000, 784]);
        using (var last = all.Train.Images.narrow(0, 50_000, 10_000))
            held.Validation.equal(last).ShouldBeTrue();
        using (var first = all.Train.Images.narrow(0, 0, 500))
            held.Train.Images.equal(first).ShouldBeTrue();
        // auto is none where the model does not ask for one (scoring a data set, the vfae).
        using (var scored = mnist.Load(mnist.Config.Bind(Zoo.Pairs("train-limit=5", "test-limit=5"), "test"), new DataRequest(0, Binarization.None)))
            scored.Validation.ShouldBeNull();

        catalog.SmallRun("vae").Values()["dataset.validation"].ShouldBe("auto");
        catalog.SmallRun("bernoulli-vae").Values()["dataset.validation"].ShouldBe("0");
        catalog.SmallRun("gaussian-vae").Values()["dataset.validation"].ShouldBe("0");
    }

    [Theory]
    [InlineData("validation=ten", "validation: expected auto or a count of rows (0 or more), found 'ten'")]
    [InlineData("validation=-5", "validation: expected auto or a count of rows (0 or more), found '-5'")]
    public void A_bad_validation_value_is_one_line(string setting, string message)
    {
        using var sp = Zoo.Services();
        Should.Throw<ConfigException>(() => sp.Catalog().SmallRun("vae", "dataset." + setting)).Message.ShouldContain(message);
    }

    [Fact]
    public void A_validation_split_as_large_as_the_training_split_is_refused_in_one_line()
    {
        using var sp = Zoo.Services();
        var run = sp.Catalog().SmallRun("vae", "dataset.validation=60000");
        Should.Throw<InvalidDataException>(() => run.LoadData()).Message
            .ShouldBe("mnist-train: validation = 60000 leaves no training rows (the split has 60000); give a smaller count");
    }

    [Fact]
    public void Early_stopping_without_a_validation_split_is_refused_before_anything_is_written()
    {
        using var sp = Zoo.Services();
        var dir = Path.Combine(Zoo.TempDir(), "run");
        var run = sp.Catalog().SmallRun("vae", "dataset.validation=0", "early-stopping=2");
        Should.Throw<ConfigException>(() => run.Train(dir, false, sp.Catalog().Callbacks())).Message
            .ShouldBe("vae config: early-stopping = 2 selects on a validation split, and this run holds none out; set dataset.validation=N");
        Directory.Exists(dir).ShouldBeFalse();
    }

    [Fact]
    public void A_run_with_a_validation_split_keeps_the_best_epoch_stops_early_and_stays_stopped_on_resume()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var dir = Zoo.TempDir();
        try
        {
            // 50 training images overfit within a few epochs at this learning rate: the validation bound turns.
            string[] settings = ["dataset.train-limit=50", "dataset.validation=300", "batch-size=10", "learning-rate=0.01", "early-stopping=2", "epochs=40"];
            var metrics = catalog.SmallRun("vae", settings).Train(dir, false, catalog.Callbacks()).Metrics;
            metrics.ShouldAllBe(m => m.ValidElbo != null);
            var best = Selection.Best(metrics)!;
            metrics.Count.ShouldBeLessThan(40, "the validation bound never turned");
            metrics[^1].Epoch.ShouldBe(best.Epoch + 2);
            File.ReadAllLines(MetricsFileCallback.MetricsPath(dir))[0].ShouldBe(EpochMetrics.CsvHeader("elbo", validation: true));

            // The best checkpoint holds that epoch's weights: evaluating it gives its figures again.
            using (var opened = TrainedRun.Open(Path.Combine(dir, Selection.BestFolder), catalog))
            {
                opened.Epoch.ShouldBe(best.Epoch);
                Trainer.Evaluate(opened.Model, opened.Data.Test, opened.Training.Seed).Bound.ShouldBe(best.TestElbo, 1e-9);
                Trainer.Evaluate(opened.Model, opened.Data.Validation!, opened.Training.Seed).Bound.ShouldBe(best.ValidElbo!.Value, 1e-9);
            }
            // Resuming a stopped run trains nothing more: the same history decides the same way.
            var resumed = catalog.SmallRun("vae", settings).Train(dir, true, catalog.Callbacks()).Metrics;
            resumed.Count.ShouldBe(metrics.Count);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_vfae_refuses_a_validation_split_it_would_not_use()
    {
        using var sp = Zoo.Services();
        var run = RunConfig.Bind("vfae", Zoo.Pairs("dataset=mnist", "mmd=none", "dataset.validation=100", "dataset.train-limit=200", "dataset.test-limit=50"), sp.Catalog());
        Should.Throw<ConfigException>(() => run.LoadData()).Message
            .ShouldBe("vfae: the vfae does not select on a validation split (its rows are packed with s and y); set dataset.validation=0");
    }
}
