using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core;
using Zoo.Core.Data;
using Zoo.Core.Imaging;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Cli.Commands;

/// <summary>The verbs that use a trained run: sample, reconstruct, encode, latent-plot.</summary>
internal static class ModelCommands
{
    private static TrainedRun Open(string runDir, ServiceProvider services) =>
        TrainedRun.Open(runDir, services.GetRequiredService<PluginCatalog>());

    /// <summary>The picture a run's input is; a table's rows are none, and the verbs that read them are named.</summary>
    private static DataShape Pictured(TrainedRun run)
    {
        try { return run.Shape.Pictured(); }
        catch (ArgumentException e) { throw new ArgumentException($"{e.Message} (use encode or fairness)"); }
    }

    public static int Sample(string runDir, string? outPath, int count, int seed, TextWriter stdout)
    {
        if (count is < 1 or > 10000) throw new ArgumentException($"--count must be in [1, 10000], found {count}");
        using var services = ZooServices.Build();
        using var run = Open(runDir, services);
        using var gen = new Generator((ulong)seed);
        var path = outPath ?? Path.Combine(runDir, "samples.png");
        var shape = Pictured(run);
        if (run.Model is IConditionalDecoder conditional)
        {
            // The decoder needs s: columns take it from the first test images (shown on top), z ~ N(0, I) below.
            var data = run.Data;
            int columns = (int)Math.Min(10, Math.Min(count, data.Test.size(0)));
            using var sources = data.Test.narrow(0, 0, columns);
            ModelPictures.ConditionalSamples(conditional, run.Model.LatentDim, sources, shape, (count + columns - 1) / columns, gen).Save(path);
            stdout.WriteLine($"wrote {path}: the first {columns} test images and, below each, images decoded from z ~ N(0, I) with its s ({run.Plugin.Name}, epoch {run.Epoch})");
            var byClassPath = Path.ChangeExtension(path, null) + "-by-class.png";
            if (ModelPictures.ClassConditionalSamples(conditional, shape.Classes, sources, shape, gen) is { } byClass)
            {
                byClass.Save(byClassPath);
                stdout.WriteLine($"wrote {byClassPath}: row k decoded from the model's prior given class k, z2 ~ N(0, I), z1 ~ p(z1 | z2, y = k)");
            }
            return 0;
        }
        ModelPictures.Samples(run.Model, shape, count, gen).Save(path);
        stdout.WriteLine($"wrote {path}: {count} images decoded from z ~ p(z) ({run.Plugin.Name}, epoch {run.Epoch})");
        return 0;
    }

    public static int Reconstruct(string runDir, string? outPath, int count, TextWriter stdout)
    {
        if (count is < 1 or > 1000) throw new ArgumentException($"--count must be in [1, 1000], found {count}");
        using var services = ZooServices.Build();
        using var run = Open(runDir, services);
        var data = run.Data;
        using var x = data.Test.narrow(0, 0, Math.Min(count, data.Test.size(0)));
        var path = outPath ?? Path.Combine(runDir, "reconstructions.png");
        ModelPictures.Reconstructions(run.Model, x, Pictured(run)).Save(path);
        stdout.WriteLine($"wrote {path}: {x.size(0)} test images (odd rows) and their reconstructions (even rows)");
        return 0;
    }

    public static int Encode(string runDir, string? outPath, string split, TextWriter stdout)
    {
        if (split is not ("train" or "test")) throw new ArgumentException($"--split must be train or test, found '{split}'");
        using var services = ZooServices.Build();
        using var run = Open(runDir, services);
        var data = run.Data;
        var images = split == "test" ? data.Test : data.Train.Images;
        var labels = split == "test" ? data.TestSet.Labels : data.Train.Labels;
        using var means = RunPictures.EncodeMeans(run.Model, images, split == "train" ? data.Binarization : Binarization.None);
        var z = means.data<float>();
        var y = labels.data<long>();
        int d = run.Model.LatentDim;
        var csv = new StringBuilder("index,label," + string.Join(",", Enumerable.Range(0, d).Select(i => $"z{i}")) + "\n");
        for (int i = 0; i < y.Length; i++)
        {
            csv.Append(i).Append(',').Append(y[i]);
            for (int k = 0; k < d; k++) csv.Append(',').Append(z[i * d + k].ToString("R", CultureInfo.InvariantCulture));
            csv.Append('\n');
        }
        var path = outPath ?? Path.Combine(runDir, $"latents-{split}.csv");
        AtomicFile.WriteAllText(path, csv.ToString());
        stdout.WriteLine($"wrote {path}: posterior means of {y.Length} {split} examples, {d} dimensions");
        return 0;
    }

    public static int LatentPlot(string runDir, string? outDir, TextWriter stdout)
    {
        using var services = ZooServices.Build();
        using var run = Open(runDir, services);
        if (run.Model.LatentDim != 2)
            throw new ArgumentException($"latent-plot needs a 2-D latent; {runDir} has {run.Model.LatentDim} (train with latent=2)");
        var data = run.Data;
        var dir = outDir ?? runDir;
        var files = RunPictures.WriteLatentPlots(run.Model, data, dir);
        stdout.WriteLine($"wrote {dir}/latent.png (test means by label)" + (files.Contains("manifold.png") ? " and manifold.png (decoded over [-3,3]²)" : ""));
        return 0;
    }
}
