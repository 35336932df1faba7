using System.Diagnostics;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Data.Arrays;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Plugins.Data.Csv;
using Zoo.Plugins.Data.Npy;
using Zoo.Plugins.Data.Mat;

namespace Zoo.Plugins.Tests;

/// <summary>
/// The npy and csv data plugins end to end: files NumPy wrote (uint8 images with labels in a compressed .npz, a float32
/// .npy of rows, a CSV with a header and a label column), picked by `dataset=PATH`, trained for an epoch with every
/// callback, reopened; a malformed file is a one-line error naming it.
/// </summary>
[Collection("Serial")]
public sealed class ArrayFileTests : IDisposable
{
    private readonly string dir = Zoo.TempDir();

    public void Dispose() => Directory.Delete(dir, true);

    /// <summary>Runs a NumPy script in the test's folder (argv[1]) with the system's python3.</summary>
    private void Python(string script)
    {
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardError = true, RedirectStandardOutput = true };
        foreach (var a in new[] { "-c", "import sys, os\nimport numpy as np\nos.chdir(sys.argv[1])\n" + script, dir }) start.ArgumentList.Add(a);
        using var p = Process.Start(start)!;
        var stderr = p.StandardError.ReadToEnd();
        p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        p.ExitCode.ShouldBe(0, $"python3 failed: {stderr}");
    }

    /// <summary>png(name, img): an 8-bit PNG of a grey H×W or RGB H×W×3 array, written with Python's zlib (unfiltered rows).</summary>
    private const string PngWriter = """
        import zlib, struct
        def png(name, img):
            h, w = img.shape[:2]
            colour = 2 if img.ndim == 3 else 0
            raw = b''.join(b'\x00' + img[y].astype(np.uint8).tobytes() for y in range(h))
            ck = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
            open(name, 'wb').write(b'\x89PNG\r\n\x1a\n' + ck(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, colour, 0, 0, 0)) + ck(b'IDAT', zlib.compress(raw)) + ck(b'IEND', b''))

        """;

    private const string Files = """
        rng = np.random.default_rng(0)
        labels = rng.integers(0, 4, 120).astype(np.int64)
        x = rng.integers(0, 60, (120, 8, 8)).astype(np.uint8)
        for i in range(120): x[i, 2 * labels[i]:2 * labels[i] + 2, :] = 230
        np.savez_compressed('digits.npz', x=x, labels=labels)
        np.save('rows.npy', rng.random((100, 12)).astype(np.float32))
        with open('points.csv', 'w') as f:
            f.write('a,b,c,d,label\n')
            for i in range(80):
                y = i % 2
                f.write(','.join(f'{v:.5f}' for v in rng.normal(2.0 * y, 0.5, 4)) + f',{y}\n')
        """;

    private static string[] Small(string dataset, params string[] more) =>
        [$"dataset={dataset}", "latent=2", "encoder.hidden=16", "decoder.hidden=16", "epochs=1", "batch-size=20", .. more];

    /// <summary>Trains the run for its epoch with every registered callback, checks the folder, and reopens it.</summary>
    private static void TrainAndReopen(RunConfig run, string runDir)
    {
        using var sp = Zoo.Services();
        var result = run.Train(runDir, resume: false, sp.Catalog().Callbacks());
        result.Metrics.Count.ShouldBe(1);
        result.Metrics.ShouldAllBe(m => double.IsFinite(m.TestElbo) && double.IsFinite(m.TrainLoss));
        result.Files.ShouldContain("metrics.csv");
        result.Files.ShouldContain("samples.png");
        File.Exists(Path.Combine(runDir, "epochs", "1", "samples.png")).ShouldBeTrue(); // each epoch's pictures (the dashboard's slider)
        File.Exists(Trainer.ConfigPath(runDir)).ShouldBeTrue();
        using var trained = TrainedRun.Open(runDir, sp.Catalog());
        trained.Config.ToJson().ShouldBe(run.ToJson());
        Trainer.Evaluate(trained.Model, trained.Data.Test, trained.Training.Seed).Bound.ShouldBe(result.Metrics[^1].TestElbo, 1e-9);
    }

    [Fact]
    public void Uint8_images_with_labels_in_an_npz_train_as_pixels_in_the_unit_interval()
    {
        Python(Files);
        using var sp = Zoo.Services();
        var path = Path.Combine(dir, "digits.npz");
        var run = RunConfig.Bind("vae", Zoo.Pairs(Small(path)), sp.Catalog());
        run.Dataset.Bound.ShouldBeOfType<NpyData>();
        run.Dataset.BoundConfig.ShouldBeOfType<NpyConfig>().Path.ShouldBe(path);
        run.Values()["dataset"].ShouldBe(path);
        using (var data = run.LoadData())
        {
            data.Shape.ShouldBe(new DataShape(64, 8, 8, 4));
            (data.Train.Count, data.TestSet.Count).ShouldBe((108, 12));      // test-fraction 0.1
            data.Binarization.ShouldBe(Binarization.Threshold);              // bernoulli likelihood: binarize=auto thresholds
            using var max = data.Train.Images.max();
            max.item<float>().ShouldBe(230f / 255, 1e-6);                    // uint8 scaled to [0, 1]
            var labels = data.TestSet.Labels.data<long>().Concat(data.Train.Labels.data<long>()).ToArray();
            labels.Distinct().Order().ShouldBe([0L, 1, 2, 3]);
            // The bright rows of each image are its label's: the labels travel with their images through the split.
            var pixels = data.Train.Images.data<float>();
            var trainLabels = data.Train.Labels.data<long>();
            for (int i = 0; i < data.Train.Count; i++) pixels[i * 64 + 16 * (int)trainLabels[i]].ShouldBe(230f / 255, 1e-6);
        }
        TrainAndReopen(run, Path.Combine(dir, "run-npz"));
    }

    [Fact]
    public void Float_rows_in_an_npy_train_with_a_gaussian_likelihood_as_pictures_of_the_given_height()
    {
        Python(Files);
        using var sp = Zoo.Services();
        var run = RunConfig.Bind("vae", Zoo.Pairs(Small(Path.Combine(dir, "rows.npy"), "likelihood=gaussian", "dataset.height=3")), sp.Catalog());
        using (var data = run.LoadData())
        {
            data.Shape.ShouldBe(new DataShape(12, 3, 4, 1));                 // no labels: one class
            (data.Train.Count, data.TestSet.Count).ShouldBe((90, 10));
            data.Binarization.ShouldBe(Binarization.None);
        }
        TrainAndReopen(run, Path.Combine(dir, "run-npy"));
        Should.Throw<ConfigException>(() => RunConfig.Bind("vae", Zoo.Pairs(Small(Path.Combine(dir, "rows.npy"), "dataset.height=5")), sp.Catalog()).LoadData())
            .Message.ShouldBe($"{Path.Combine(dir, "rows.npy")}: height = 5 does not divide the 12 values of a row");
    }

    [Fact]
    public void A_matlab_matrix_of_uint8_faces_one_per_column_trains_a_gaussian_vae_like_frey_faces()
    {
        // Frey faces' layout (ff: 560 × 1965 uint8, one 28 × 20 face per column), small, written by SciPy compressed.
        Python("""
            import scipy.io
            rng = np.random.default_rng(1)
            ff = rng.integers(0, 256, (12, 50)).astype(np.uint8)
            ff[:, 0] = np.arange(12) * 20
            scipy.io.savemat('faces.mat', {'ff': ff, 'note': 'faces'}, do_compression=True)
            """);
        using var sp = Zoo.Services();
        var path = Path.Combine(dir, "faces.mat");
        var run = RunConfig.Bind("gaussian-vae", Zoo.Pairs(Small(path, "dataset.variable=ff", "dataset.orientation=columns", "dataset.height=4")), sp.Catalog());
        run.Dataset.Bound.ShouldBeOfType<MatData>();
        using (var data = run.LoadData())
        {
            data.Shape.ShouldBe(new DataShape(12, 4, 3, 1));
            (data.Train.Count, data.TestSet.Count).ShouldBe((45, 5));
            using var all = cat([data.Train.Images, data.TestSet.Images]);
            using var max = all.max();
            max.item<float>().ShouldBeLessThanOrEqualTo(1f);                 // uint8 scaled to [0, 1]
            // Column 0 became an example, its 12 values in order (0, 20, …, 220) / 255.
            var rows = all.data<float>().Chunk(12).ToArray();
            rows.ShouldContain(r => r.Select((v, i) => Math.Abs(v - i * 20 / 255f)).Max() < 1e-6);
        }
        TrainAndReopen(run, Path.Combine(dir, "run-mat"));
        Should.Throw<IOException>(() => RunConfig.Bind("vae", Zoo.Pairs(Small(path)), sp.Catalog()).LoadData())
            .Message.ShouldBe($"{path}: holds ff, note; choose one with dataset.variable=NAME");
    }

    [Fact]
    public void A_folder_of_png_images_in_class_folders_trains_with_the_folders_as_labels()
    {
        // Unfiltered rows are enough here: the decoder's filters are tested against an encoder in Zoo.Core.Tests.
        Python(PngWriter + """
            rng = np.random.default_rng(2)
            for label, name in enumerate(['circle', 'square', 'zigzag']):
                os.makedirs(os.path.join('shapes', name))
                for i in range(20):
                    img = rng.integers(0, 40, (6, 5)); img[label * 2, :] = 250
                    png(os.path.join('shapes', name, f'{i:02}.png'), img)
            """);
        using var sp = Zoo.Services();
        var folder = Path.Combine(dir, "shapes");
        var run = RunConfig.Bind("vae", Zoo.Pairs(Small("image-folder", $"dataset.path={folder}")), sp.Catalog());
        using (var data = run.LoadData())
        {
            data.Shape.ShouldBe(new DataShape(30, 6, 5, 3));
            (data.Train.Count, data.TestSet.Count).ShouldBe((54, 6));
            var pixels = data.Train.Images.data<float>();
            var labels = data.Train.Labels.data<long>();
            for (int i = 0; i < data.Train.Count; i++) pixels[i * 30 + 10 * (int)labels[i]].ShouldBe(250f / 255, 1e-6); // each image's bright row is its folder's
        }
        TrainAndReopen(run, Path.Combine(dir, "run-png"));
        File.Copy(Path.Combine(folder, "circle", "00.png"), Path.Combine(folder, "stray.png"));
        Should.Throw<IOException>(() => RunConfig.Bind("vae", Zoo.Pairs(Small("image-folder", $"dataset.path={folder}")), sp.Catalog()).LoadData())
            .Message.ShouldBe($"{folder}: holds PNG images both directly (stray.png, …) and in class folders (circle/, …); use one or the other");
    }

    [Fact]
    public void A_folder_of_rgb_png_images_trains_a_conv_vae_channel_by_channel_and_draws_colour_pictures()
    {
        // PNGs written by Python's zlib: colour type 2, each pixel's R, G, B together; the reds, greens and blues
        // folders hold pictures bright in one channel.
        Python(PngWriter + """
            rng = np.random.default_rng(3)
            for label, name in enumerate(['blues', 'greens', 'reds']):
                os.makedirs(os.path.join('colours', name))
                for i in range(30):
                    img = rng.integers(0, 30, (8, 8, 3)); img[:, :, 2 - label] = 200 + rng.integers(0, 50, (8, 8))
                    png(os.path.join('colours', name, f'{i:02}.png'), img)
                    if label == 0 and i == 0: np.save('first.npy', img)
            """);
        using var sp = Zoo.Services();
        var folder = Path.Combine(dir, "colours");
        var run = RunConfig.Bind("vae", Zoo.Pairs("dataset=image-folder", $"dataset.path={folder}", "dataset.test-fraction=0.2", "encoder=conv", "decoder=conv",
            "encoder.channels=8,16", "encoder.hidden=32", "latent=4", "likelihood=gaussian", "epochs=1", "batch-size=20"), sp.Catalog());
        using (var data = run.LoadData())
        {
            (data.Shape.Dimensions, data.Shape.Channels, data.Shape.Height, data.Shape.Width, data.Shape.IsImage).ShouldBe((192, 3, 8, 8, true));
            // blues/00.png, channel by channel: its blue plane is the row's last 64 values, as the PNG's every third byte.
            var png = NpyReader.Read(Path.Combine(dir, "first.npy"));
            using var all = cat([data.Train.Images, data.TestSet.Images]);
            var rows = all.data<float>().ToArray();
            var match = Enumerable.Range(0, (int)all.size(0)).Where(r =>
                Enumerable.Range(0, 192).All(j => Math.Abs(rows[r * 192 + j] - png.Values[j % 64 * 3 + j / 64] / 255f) < 1e-6)).ToList();
            match.Count.ShouldBe(1, "blues/00.png is one row, laid out channel by channel");
        }
        TrainAndReopen(run, Path.Combine(dir, "run-rgb"));
        var samples = global::Zoo.Core.Data.Images.Png.Read(Path.Combine(dir, "run-rgb", "reconstructions.png"));
        samples.Channels.ShouldBe(3);
        int coloured = 0;
        for (int p = 0; p < samples.Height * samples.Width; p++)
            if (Math.Abs(samples.Pixels[3 * p] - samples.Pixels[3 * p + 2]) > 100) coloured++;
        coloured.ShouldBeGreaterThan(1000, "the reconstructions of red and blue pictures are drawn in colour");
    }

    [Fact]
    public void A_csv_with_a_header_and_a_label_column_trains_on_the_other_columns()
    {
        Python(Files);
        using var sp = Zoo.Services();
        var path = Path.Combine(dir, "points.csv");
        var run = RunConfig.Bind("vae", Zoo.Pairs(Small(path, "likelihood=gaussian", "dataset.label-column=label")), sp.Catalog());
        run.Dataset.Bound.ShouldBeOfType<CsvData>();
        using (var data = run.LoadData())
        {
            data.Shape.ShouldBe(new DataShape(4, 2, 2, 2));                  // 4 features: a 2×2 picture; labels 0 and 1
            (data.Train.Count, data.TestSet.Count).ShouldBe((72, 8));
            // Class 1's features are centred on 2, class 0's on 0.
            var x = data.Train.Images.data<float>();
            var y = data.Train.Labels.data<long>();
            Enumerable.Range(0, 72).Where(i => y[i] == 1).Average(i => (double)x[i * 4]).ShouldBe(2.0, 0.4);
            Enumerable.Range(0, 72).Where(i => y[i] == 0).Average(i => (double)x[i * 4]).ShouldBe(0.0, 0.4);
        }
        TrainAndReopen(run, Path.Combine(dir, "run-csv"));
    }

    [Fact]
    public void A_malformed_file_is_a_one_line_error_naming_it()
    {
        Python("""
            open('garbage.npy', 'wb').write(b'this is not a numpy file\nat all\n')
            np.save('short.npy', np.zeros((50, 10), np.float32))
            data = open('short.npy', 'rb').read()
            open('short.npy', 'wb').write(data[:-100])
            open('text.csv', 'w').write('a,b\n1,2\n3,oops\n')
            np.save('scalar.npy', np.float32(3))
            """);
        using var sp = Zoo.Services();
        void Fails(string file, string contains)
        {
            var path = Path.Combine(dir, file);
            var run = RunConfig.Bind("vae", Zoo.Pairs(Small(path)), sp.Catalog());
            var e = Should.Throw<ArrayFormatException>(() => run.Train(Path.Combine(dir, "run-" + file), resume: false, sp.Catalog().Callbacks()));
            e.Message.ShouldStartWith(path);
            e.Message.ShouldContain(contains);
            e.Message.ShouldNotContain("\n");
            e.File.ShouldBe(path);
        }
        Fails("garbage.npy", "garbage.npy: ");
        Fails("short.npy", "short.npy: ");
        Fails("text.csv", "text.csv:3: ");
        Fails("scalar.npy", "expected an array of shape N×D, N×H×W or N×H×W×C (C = 1 or 3)");
        // An extension no data plugin reads is a config problem, named before anything is loaded.
        Should.Throw<ConfigException>(() => RunConfig.Bind("vae", Zoo.Pairs(Small(Path.Combine(dir, "faces.h5"))), sp.Catalog()))
            .Message.ShouldContain("no data plugin reads .h5 files");
    }
}
