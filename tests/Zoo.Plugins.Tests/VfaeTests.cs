using System.Globalization;
using System.Text;
using Zoo.Core.Evaluation;
using Zoo.Core.Imaging;
using Zoo.Core.Models;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Plugins.Vfae.Vfae;

namespace Zoo.Plugins.Tests;

/// <summary>MMD and the VFAE: the penalty's estimators, and that MMD removes s from z1 where s leaks into x.</summary>
[Collection("Serial")]
public class VfaeTests
{
    private static Tensor Gaussian(int n, int d, double shift, ulong seed)
    {
        using var g = new Generator(seed);
        using var x = randn([n, d], g);
        return x + shift;
    }

    [Fact]
    public void Exact_mmd_is_near_zero_for_one_distribution_and_grows_with_the_distance_between_means()
    {
        using var a = Gaussian(300, 4, 0, 1);
        var values = new[] { 0.0, 0.5, 1.0, 2.0 }.Select(shift =>
        {
            using var b = Gaussian(300, 4, shift, 2);
            using var m = Mmd.Exact(a, b, bandwidth: 1);
            return m.item<float>();
        }).ToList();
        values[0].ShouldBeLessThan(0.01f);
        values.ShouldBeInOrder(SortDirection.Ascending);
        values[3].ShouldBeGreaterThan(0.15f);
    }

    [Fact]
    public void Random_fourier_features_approximate_the_exact_mmd()
    {
        using var a = Gaussian(300, 4, 0, 3);
        using var g = new Generator(9);
        foreach (var shift in new[] { 0.5, 1.0 })
        {
            using var b = Gaussian(300, 4, shift, 4);
            using var exact = Mmd.Exact(a, b, 1.5);
            using var rff = Mmd.RandomFeatures(a, b, 1.5, 20000, g);
            rff.item<float>().ShouldBe(exact.item<float>(), exact.item<float>() * 0.15, $"shift {shift}");
        }
    }

    [Fact]
    public void The_penalty_is_zero_for_a_single_group_and_sums_group_against_rest_for_more()
    {
        using var g = new Generator(1);
        using var z = randn([9, 3], g);
        using (var one = Mmd.Penalty(z, [1, 1, 1, 1, 1, 1, 1, 1, 1], 2, MmdEstimator.Exact, 1, 0, g))
            one.item<float>().ShouldBe(0f);
        using (var rffOne = Mmd.Penalty(z, [0, 0, 0, 0, 0, 0, 0, 0, 0], 2, MmdEstimator.Rff, 1, 100, g))
            float.IsFinite(rffOne.item<float>()).ShouldBeTrue();
        long[] groups = [0, 1, 2, 0, 1, 2, 0, 1, 2];
        using var three = Mmd.Penalty(z, groups, 3, MmdEstimator.Exact, 1, 0, g);
        double expected = 0;
        for (int k = 0; k < 3; k++)
        {
            using var inside = z.index_select(0, tensor(Enumerable.Range(0, 9).Where(i => groups[i] == k).Select(i => (long)i).ToArray()));
            using var outside = z.index_select(0, tensor(Enumerable.Range(0, 9).Where(i => groups[i] != k).Select(i => (long)i).ToArray()));
            using var m = Mmd.Exact(inside, outside, 1);
            expected += m.item<float>();
        }
        three.item<float>().ShouldBe((float)expected, 1e-5f);
    }

    /// <summary>
    /// A table where s leaks into x and into y, the usual unfair case: y depends on s (P(y=1) is 0.8 for s=1 and 0.2
    /// for s=0), 4 columns carry y and 4 carry s, plus noise. A representation that predicts y then reveals s.
    /// </summary>
    private static string LeakyTable()
    {
        var rng = new Random(7);
        double Normal() => Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
        var sb = new StringBuilder("f0,f1,f2,f3,f4,f5,f6,f7,s,y\n");
        for (int i = 0; i < 1200; i++)
        {
            int s = rng.NextDouble() < 0.5 ? 1 : 0, y = rng.NextDouble() < (s == 1 ? 0.8 : 0.2) ? 1 : 0;
            var f = Enumerable.Range(0, 8).Select(k => (k < 4 ? 1.0 * y : 2.0 * s) + Normal() * 0.7);
            sb.Append(string.Join(",", f.Select(v => v.ToString("F4", CultureInfo.InvariantCulture)))).Append($",s{s},y{y}\n");
        }
        var path = Path.Combine(Zoo.TempDir(), "leaky.csv");
        File.WriteAllText(path, sb.ToString());
        return path;
    }

    private static (double SAccuracy, double SMajority, double YAccuracy) TrainAndProbe(string table, double mmdWeight)
    {
        using var sp = Zoo.Services();
        // A CSV table is the table plugin's (a bare .csv path is the numeric csv plugin's).
        var run = RunConfig.Bind("vfae", Zoo.Pairs(
            "dataset=table", $"dataset.path={table}", "dataset.target=y", "dataset.sensitive=s", "latent=4", "latent2=4",
            "encoder.hidden=32", "decoder.hidden=32", "classifier-hidden=32", "epochs=40", "alpha=20", // the weights these thresholds were set with
            $"mmd-weight={mmdWeight.ToString(CultureInfo.InvariantCulture)}"), sp.Catalog());
        var dir = Zoo.TempDir();
        try
        {
            (double, double, double) result = default;
            var probe = new AfterTraining(context =>
            {
                var (model, data) = (context.Model, context.Data);
                var t = data.Tabular!;
                using var train = RunPictures.EncodeMeans(model, data.Train.Images, Core.Data.Binarization.None);
                using var test = RunPictures.EncodeMeans(model, data.Test, Core.Data.Binarization.None);
                var s = Probes.FitPredict(Probes.Kind.Mlp, train, t.TrainSensitive, test, 2);
                var y = Probes.FitPredict(Probes.Kind.Logistic, train, t.TrainLabels, test, 2);
                result = (Probes.Accuracy(s, t.TestSensitive), Probes.MajorityRate(t.TestSensitive), Probes.Accuracy(y, t.TestLabels));
            });
            run.Train(dir, resume: false, [probe]);
            return result;
        }
        finally { Directory.Delete(dir, true); }
    }

    /// <summary>Runs an action on the trained model and its data once training is done.</summary>
    private sealed class AfterTraining(Action<TrainingContext> action) : ITrainingCallback
    {
        public void Finished(TrainingContext run, IReadOnlyList<EpochMetrics> history) => action(run);
    }

    [Fact]
    public void Where_s_leaks_into_x_mmd_drives_s_accuracy_from_z1_toward_the_majority_rate_and_no_mmd_does_not()
    {
        var table = LeakyTable();
        var without = TrainAndProbe(table, 0);
        var with = TrainAndProbe(table, 1000);
        Console.WriteLine($"leaky table: without MMD {without}, with MMD {with}");
        without.SAccuracy.ShouldBeGreaterThan(without.SMajority + 0.2);      // z1 keeps s
        with.SAccuracy.ShouldBeLessThan(without.SAccuracy - 0.2);
        with.SAccuracy.ShouldBeLessThan(with.SMajority + 0.15);              // toward chance
        with.YAccuracy.ShouldBeGreaterThan(0.6);                             // y survives, at a price
    }
}
