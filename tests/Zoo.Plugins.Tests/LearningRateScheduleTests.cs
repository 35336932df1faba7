using Zoo.Core.Training;

namespace Zoo.Plugins.Tests;

/// <summary>The learning-rate schedules (issue 18): their values by epoch, and a scheduled run that resumes exactly.</summary>
[Collection("Serial")]
public class LearningRateScheduleTests
{
    private static TrainingConfig Config(params string[] settings)
    {
        using var sp = Zoo.Services();
        return sp.Catalog().SmallRun("vae", settings);
    }

    [Fact]
    public void Each_schedule_gives_its_learning_rate_by_epoch()
    {
        Config("learning-rate=0.01").LearningRateAt(500).ShouldBe(0.01);
        var step = Config("learning-rate=0.01", "lr-schedule=step", "lr-step-epochs=2", "lr-gamma=0.5");
        new[] { 1, 2, 3, 4, 5 }.Select(step.LearningRateAt).ShouldBe([0.01, 0.01, 0.005, 0.005, 0.0025]);
        var cosine = Config("learning-rate=0.01", "lr-schedule=cosine", "lr-min=0.001", "epochs=4");
        cosine.LearningRateAt(1).ShouldBe(0.01, 1e-15);
        cosine.LearningRateAt(3).ShouldBe(0.0055, 1e-15);   // half way: (0.01 + 0.001) / 2
        var iwae = Config("learning-rate=0.001", "lr-schedule=iwae", "epochs=3280");
        iwae.LearningRateAt(1).ShouldBe(0.001);
        iwae.LearningRateAt(4).ShouldBe(0.001 * Math.Pow(10, -1 / 7.0), 1e-15);
        iwae.LearningRateAt(3280).ShouldBe(0.0001, 1e-15);
    }

    [Fact]
    public void The_iwae_paper_s_stages_last_3_to_the_i_epochs_and_3280_in_all()
    {
        int[] firstEpochs = [1, 2, 5, 14, 41, 122, 365, 1094];
        for (int i = 0; i < 8; i++)
        {
            TrainingConfig.IwaeStage(firstEpochs[i]).ShouldBe(i);
            if (i > 0) TrainingConfig.IwaeStage(firstEpochs[i] - 1).ShouldBe(i - 1);
        }
        Enumerable.Range(1, 3280).Count(e => TrainingConfig.IwaeStage(e) == 7).ShouldBe(2187);
        TrainingConfig.IwaeStage(10_000).ShouldBe(7); // after the paper's 3,280 epochs the last rate holds
    }

    [Fact]
    public void A_scheduled_run_changes_its_rate_and_resumes_exactly()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var (a, b, c) = (Zoo.TempDir(), Zoo.TempDir(), Zoo.TempDir());
        string[] step = ["lr-schedule=step", "lr-step-epochs=1", "lr-gamma=0.1", "learning-rate=0.003"];
        try
        {
            var full = catalog.SmallRun("bernoulli-vae", [.. step]).Train(a, false, []).Metrics;
            catalog.SmallRun("bernoulli-vae", [.. step, "epochs=1"]).Train(b, false, []);
            var resumed = catalog.SmallRun("bernoulli-vae", [.. step]).Train(b, true, []).Metrics;
            for (int i = 0; i < 3; i++) resumed[i].TestElbo.ShouldBe(full[i].TestElbo);
            var constant = catalog.SmallRun("bernoulli-vae", "learning-rate=0.003").Train(c, false, []).Metrics;
            constant[0].TestElbo.ShouldBe(full[0].TestElbo);          // epoch 1 runs at the same rate
            constant[2].TestElbo.ShouldNotBe(full[2].TestElbo);       // then the schedule's rate is a hundredth
        }
        finally { foreach (var d in new[] { a, b, c }) Directory.Delete(d, true); }
    }
}
