namespace Zoo.Cli.Tests;

/// <summary>
/// The `zoo` command in-process: user mistakes end in one line on stderr and exit code 1; the verbs write what
/// they say on a tiny model trained on a slice of real MNIST. One collection: some tests set environment variables.
/// </summary>
[Collection("cli")]
public class CliTests : IClassFixture<CliTests.TrainedRun>
{
    private readonly TrainedRun run;
    public CliTests(TrainedRun run) => this.run = run;

    internal static (int Code, string Out, string Err) Zoo(params string[] args)
    {
        var (o, e) = (new StringWriter(), new StringWriter());
        var code = ZooCommand.Run(args, o, e);
        return (code, o.ToString(), e.ToString());
    }

    private const string Small = "dataset.train-limit=400 dataset.test-limit=120 encoder.hidden=48 decoder.hidden=48 batch-size=50";

    /// <summary>One 2-D-latent run shared by the tests that read a trained run.</summary>
    public sealed class TrainedRun : IDisposable
    {
        public string Dir { get; } = Path.Combine(Path.GetTempPath(), "zoo-cli-" + Guid.NewGuid().ToString("N")[..8]);
        public (int Code, string Out, string Err) Result { get; }

        public TrainedRun() =>
            Result = Zoo(["train", "bernoulli-vae", .. Small.Split(' '), "latent=2", "epochs=2", "--out", Dir]);

        public void Dispose() { if (Directory.Exists(Dir)) Directory.Delete(Dir, true); }
    }

    private static void ShouldFailWithOneLine((int Code, string Out, string Err) r, string contains)
    {
        r.Code.ShouldBe(1, r.Err);
        var line = r.Err.TrimEnd('\n', '\r');
        line.ShouldNotContain("\n");
        line.ShouldStartWith("zoo: error: ");
        line.ShouldContain(contains);
        line.ShouldNotContain("   at ");
    }

    [Fact]
    public void Bad_inputs_found_by_the_reliability_review_each_end_in_one_line()
    {
        var file = Path.GetTempFileName();
        try { ShouldFailWithOneLine(Zoo("jobs", "--home", file), $"{file} (--home) is a file; expected a folder"); }
        finally { File.Delete(file); }
        ShouldFailWithOneLine(Zoo("train", "vae", "latent=1000000000000"), "latent = 1000000000000 is out of range [-2147483648, 2147483647]");
        ShouldFailWithOneLine(Zoo("train", "vae", "encoder.activation=leaky_relu:NaN"), "parameter 'nan' is not a finite number");
        ShouldFailWithOneLine(Zoo("score", "--run", run.Dir, "--quantile", "NaN"), "--quantile must be a finite number, found NaN");
        ShouldFailWithOneLine(Zoo("score", "--run", run.Dir, "--quantile", "abc"), "--quantile must be a number, found 'abc'");
        ShouldFailWithOneLine(Zoo("sample", "--run", run.Dir, "--count", "1.5"), "--count must be a whole number, found '1.5'");
        // The shared run has 2 epochs: resuming to 1 would leave config.json and metrics.csv disagreeing.
        ShouldFailWithOneLine(Zoo("train", "bernoulli-vae", "epochs=1", "--resume", "--out", run.Dir), "has trained 2 epochs already; epochs = 1 would undo them");
        File.ReadAllText(Path.Combine(run.Dir, "config.json")).ShouldContain("\"epochs\": 2");
    }

    [Theory]
    [InlineData("NaN")]
    [InlineData("Infinity")]
    [InlineData("-Infinity")]
    [InlineData("1e999")]
    public void Every_floating_point_option_must_be_finite(string value) =>
        ShouldFailWithOneLine(Zoo("score", "--run", run.Dir, "--quantile", value), $"--quantile must be a finite number, found {value}");

    [Fact]
    public void A_mistyped_command_is_one_line_with_the_nearest_command_not_the_whole_help()
    {
        var r = Zoo("trian");
        r.Code.ShouldBe(1);
        r.Out.ShouldBeEmpty();
        r.Err.TrimEnd().ShouldBe("zoo: error: unknown command 'trian'; did you mean 'train'? (zoo --help lists the commands)");
        ShouldFailWithOneLine(Zoo("bench", "torhc"), "unknown command 'torhc'; did you mean 'torch'? (zoo bench --help lists the commands)");
        ShouldFailWithOneLine(Zoo("frobnicate"), "unknown command 'frobnicate' (zoo --help lists the commands)");
        ShouldFailWithOneLine(Zoo(), "no command given (zoo --help lists the commands)");
    }

    [Fact]
    public void Bench_torch_gives_the_steps_share_of_GEMM_throughput_in_rounds_timed_between_references()
    {
        var r = Zoo("bench", "torch", "--steps", "100");
        r.Code.ShouldBe(0, r.Err);
        var line = r.Out.Split('\n').Single(l => l.Contains("rounds of"));
        var m = System.Text.RegularExpressions.Regex.Match(line,
            @"in 2 rounds of 50 steps between GEMM references: the step at (\d+)% of the GEMM throughput around it \(median round; rounds (\d+)-(\d+)%\)");
        m.Success.ShouldBeTrue(line);
        int median = int.Parse(m.Groups[1].Value), low = int.Parse(m.Groups[2].Value), high = int.Parse(m.Groups[3].Value);
        low.ShouldBeLessThanOrEqualTo(median);
        median.ShouldBeLessThanOrEqualTo(high);
        low.ShouldBeGreaterThan(0, line);
        ShouldFailWithOneLine(Zoo("bench", "torch", "--steps", "0"), "--steps must be at least 1, found 0");
    }

    /// <summary>Copies a run folder, so a test can damage its checkpoint without touching the shared run.</summary>
    private static string CopyRun(string from, string to)
    {
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories))
        {
            var target = Path.Combine(to, Path.GetRelativePath(from, f));
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            File.Copy(f, target);
        }
        return to;
    }

    private static void SafeTensorsFile(string path, string header, int dataBytes)
    {
        var h = System.Text.Encoding.UTF8.GetBytes(header);
        File.WriteAllBytes(path, [.. BitConverter.GetBytes((ulong)h.Length), .. h, .. new byte[dataBytes]]);
    }

    [Fact]
    public void Reader_failures_found_by_the_reliability_review_each_end_in_one_line()
    {
        var dir = Directory.CreateTempSubdirectory("zoo-readers-").FullName;
        var (mnist, credit) = (Environment.GetEnvironmentVariable("ZOO_MNIST_DIR"), Environment.GetEnvironmentVariable("ZOO_CREDIT_G"));
        try
        {
            var never = Path.Combine(dir, "never");
            // An IDX pair with 0 examples is named before a run folder (or a NaN checkpoint) is written.
            var empty = Directory.CreateDirectory(Path.Combine(dir, "empty")).FullName;
            var images = Path.Combine(empty, "train-images-idx3-ubyte");
            File.WriteAllBytes(images, [0, 0, 8, 3, 0, 0, 0, 0, 0, 0, 0, 28, 0, 0, 0, 28]);
            File.WriteAllBytes(Path.Combine(empty, "train-labels-idx1-ubyte"), [0, 0, 8, 1, 0, 0, 0, 0]);
            Environment.SetEnvironmentVariable("ZOO_MNIST_DIR", empty);
            ShouldFailWithOneLine(Zoo("train", "bernoulli-vae", "--out", never), $"{images} holds 0 examples; a split needs at least one");
            Directory.Exists(never).ShouldBeFalse();

            // A folder where a file is expected: a data set's file, a path given as dataset=, a run's checkpoint.
            var folders = Directory.CreateDirectory(Path.Combine(dir, "folders")).FullName;
            var imagesFolder = Directory.CreateDirectory(Path.Combine(folders, "train-images-idx3-ubyte")).FullName;
            Environment.SetEnvironmentVariable("ZOO_MNIST_DIR", folders);
            ShouldFailWithOneLine(Zoo("train", "bernoulli-vae", "--out", never), $"{imagesFolder} is a directory; expected an IDX file");
            Environment.SetEnvironmentVariable("ZOO_MNIST_DIR", mnist);
            var npy = Directory.CreateDirectory(Path.Combine(dir, "faces.npy")).FullName;
            ShouldFailWithOneLine(Zoo("train", "vae", $"dataset={npy}", "--out", never), $"{npy} is a directory; expected a NumPy .npy file");

            // ZOO_CREDIT_G set but wrong: one line, not a silent fall-back to the installed file.
            Environment.SetEnvironmentVariable("ZOO_CREDIT_G", Path.Combine(dir, "none.arff"));
            ShouldFailWithOneLine(Zoo("train", "vfae", "epochs=1", "--out", never),
                $"{Path.Combine(dir, "none.arff")} (ZOO_CREDIT_G): no such file; unset ZOO_CREDIT_G to use the installed credit-g.arff");
            Environment.SetEnvironmentVariable("ZOO_CREDIT_G", dir);
            ShouldFailWithOneLine(Zoo("train", "vfae", "epochs=1", "--out", never), $"{dir} (ZOO_CREDIT_G) is a directory; expected a credit-g ARFF file");
            Environment.SetEnvironmentVariable("ZOO_CREDIT_G", credit);
            Directory.Exists(never).ShouldBeFalse();

            // A damaged or foreign checkpoint: the file and the tensor, never an unhandled OverflowException.
            var copy = CopyRun(run.Dir, Path.Combine(dir, "run"));
            var model = Path.Combine(copy, "checkpoint", "model.safetensors");
            SafeTensorsFile(model, "{\"w\":{\"dtype\":\"F32\",\"shape\":[1099511627776,1099511627776],\"data_offsets\":[0,4]}}", 4);
            ShouldFailWithOneLine(Zoo("sample", "--run", copy),
                $"{model}: not a valid safetensors file: tensor 'w': F32 shape [1099511627776, 1099511627776] needs more than 9223372036854775807 bytes");
            SafeTensorsFile(model, "{\"w\":{\"dtype\":\"F32\",\"shape\":[4],\"data_offsets\":[0,16]}}", 8);
            ShouldFailWithOneLine(Zoo("sample", "--run", copy), $"{model}: not a valid safetensors file: tensor 'w': data ends at byte 16 but the file holds only 8");
            SafeTensorsFile(model, "{\"bert.pooler.weight\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}", 8);
            ShouldFailWithOneLine(Zoo("sample", "--run", copy), $"{model}: state dict does not match bernoulli-vae: missing [");
            ShouldFailWithOneLine(Zoo("sample", "--run", copy), "unexpected ['bert.pooler.weight']");
            File.Delete(model);
            Directory.CreateDirectory(model);
            ShouldFailWithOneLine(Zoo("sample", "--run", copy), $"{model} is a directory; expected a safetensors file");
        }
        finally
        {
            Environment.SetEnvironmentVariable("ZOO_MNIST_DIR", mnist);
            Environment.SetEnvironmentVariable("ZOO_CREDIT_G", credit);
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void Submit_binds_the_whole_run_before_queueing_and_a_second_service_exits_non_zero()
    {
        var home = Path.Combine(Path.GetTempPath(), "zoo-submit-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var ok = Zoo("submit", "vae", "epochs=1", "encoder.hidden=16", "dataset=fashion-mnist", "dataset.train-limit=100", "--home", home);
            ok.Code.ShouldBe(0, ok.Err);
            Directory.GetFiles(Path.Combine(home, "inbox"), "*.json").Length.ShouldBe(1);
            ShouldFailWithOneLine(Zoo("submit", "vae", "encoder.hiden=16", "--home", home), "did you mean 'encoder.hidden'");
            ShouldFailWithOneLine(Zoo("submit", "vae", "model=vfae", "--home", home), "model is the command's argument");
            Directory.GetFiles(Path.Combine(home, "inbox"), "*.json").Length.ShouldBe(1);
            // A service already holds the home: `zoo serve` refuses with one line naming it and a non-zero exit.
            using (global::Zoo.Hosting.Jobs.HomeLock.Acquire(new global::Zoo.Hosting.ZooHome(home)))
            {
                var second = Zoo("serve", "--home", home);
                second.Code.ShouldBe(1);
                second.Err.TrimEnd().Split('\n').Last().ShouldBe($"zoo: error: zoo serve stopped: another zoo serve (PID {Environment.ProcessId}) is running in {home}; one service per home");
            }
        }
        finally { if (Directory.Exists(home)) Directory.Delete(home, true); }
    }

    [Fact]
    public void Train_writes_metrics_curves_pictures_checkpoint_and_latent_plots()
    {
        run.Result.Code.ShouldBe(0, run.Result.Err);
        run.Result.Out.ShouldContain("epoch 2/2: train ELBO");
        foreach (var f in new[] { "metrics.csv", "curves.png", "samples.png", "reconstructions.png", "latent.png", "manifold.png", "config.json",
                                  "checkpoint/model.safetensors", "checkpoint/optimizer.safetensors", "checkpoint/state.json" })
            File.Exists(Path.Combine(run.Dir, f)).ShouldBeTrue(f);
        File.ReadAllLines(Path.Combine(run.Dir, "metrics.csv")).Length.ShouldBe(3);
        File.ReadAllBytes(Path.Combine(run.Dir, "samples.png")).Take(8).ShouldBe(new byte[] { 137, 80, 78, 71, 13, 10, 26, 10 });
        Directory.GetFileSystemEntries(run.Dir).ShouldNotContain(p => p.Contains(".tmp"));
    }

    [Fact]
    public void Eval_reports_elbo_iwae_nll_and_latent_diagnostics_and_writes_eval_json()
    {
        var json = Path.Combine(run.Dir, "eval-test.json");
        var r = Zoo("eval", "--run", run.Dir, "--k", "50", "--json", json);
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("examples        120 (mnist test, threshold binarisation)");
        r.Out.ShouldContain("test NLL");
        r.Out.ShouldContain("active units    ");
        var report = System.Text.Json.JsonDocument.Parse(File.ReadAllText(json)).RootElement;
        var (elbo, logPx) = (report.GetProperty("elbo").GetDouble(), report.GetProperty("log_likelihood").GetDouble());
        logPx.ShouldBeGreaterThan(elbo);          // the k = 50 bound is tighter than the ELBO
        logPx.ShouldBeLessThan(elbo + 30);
        report.GetProperty("kl_per_dimension").GetArrayLength().ShouldBe(2);
        report.GetProperty("k").GetInt32().ShouldBe(50);

        ShouldFailWithOneLine(Zoo("eval", "--run", run.Dir, "--k", "0"), "--k must be in [1, 100000], found 0");
        ShouldFailWithOneLine(Zoo("eval", "--run", Path.Combine(run.Dir, "nope")), "does not exist");
    }

    [Fact]
    public void Score_thresholds_on_held_out_mnist_and_ranks_fashion_mnist_above_it()
    {
        var csv = Path.Combine(run.Dir, "scores-test.csv");
        var r = Zoo("score", "--run", run.Dir, "--data", "fashion-mnist", "--k", "10", "--limit", "200", "--quantile", "0.9", "--out", csv);
        r.Code.ShouldBe(0, r.Err);
        r.Out.ShouldContain("the 0.9 quantile of mnist test (first half, held out)");
        var auroc = double.Parse(r.Out.Split('\n').Single(l => l.StartsWith("AUROC")).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
            System.Globalization.CultureInfo.InvariantCulture);
        auroc.ShouldBeGreaterThan(0.8); // even a 2-epoch, 400-image model finds clothes unlikely digits
        var lines = File.ReadAllLines(csv);
        lines[0].ShouldBe("index,label,nll,anomalous");
        lines.Length.ShouldBe(201);

        ShouldFailWithOneLine(Zoo("score", "--run", run.Dir, "--data", "cifar"), "dataset = 'cifar': unknown data set; available: ");
        ShouldFailWithOneLine(Zoo("score", "--run", run.Dir, "--quantile", "1.5"), "--quantile must be in (0, 1), found 1.5");
    }

    [Fact]
    public void Sample_reconstruct_encode_and_latent_plot_use_the_trained_run()
    {
        var dir = Path.Combine(run.Dir, "verbs");
        Directory.CreateDirectory(dir);
        Zoo("sample", "--run", run.Dir, "--count", "12", "--out", Path.Combine(dir, "s.png")).Code.ShouldBe(0);
        Zoo("reconstruct", "--run", run.Dir, "--count", "7", "--out", Path.Combine(dir, "r.png")).Code.ShouldBe(0);
        Zoo("latent-plot", "--run", run.Dir, "--out-dir", dir).Code.ShouldBe(0);
        var enc = Zoo("encode", "--run", run.Dir, "--out", Path.Combine(dir, "z.csv"));
        enc.Code.ShouldBe(0, enc.Err);
        var lines = File.ReadAllLines(Path.Combine(dir, "z.csv"));
        lines[0].ShouldBe("index,label,z0,z1");
        lines.Length.ShouldBe(121);
        lines[1].ShouldStartWith("0,7,");  // MNIST's first test digit is a 7
        foreach (var f in new[] { "s.png", "r.png", "latent.png", "manifold.png" }) new FileInfo(Path.Combine(dir, f)).Length.ShouldBeGreaterThan(100);
    }

    [Fact]
    public void Resume_continues_the_run_and_refuses_to_change_other_keys()
    {
        var copy = run.Dir + "-resume";
        CopyDir(run.Dir, copy);
        try
        {
            ShouldFailWithOneLine(Zoo(["train", "bernoulli-vae", "latent=3", "--resume", "--out", copy]), "only epochs may change");
            var r = Zoo(["train", "bernoulli-vae", "epochs=3", "--resume", "--out", copy]);
            r.Code.ShouldBe(0, r.Err);
            r.Out.ShouldContain("epoch 3/3");
            r.Out.ShouldNotContain("epoch 1/3");
            File.ReadAllLines(Path.Combine(copy, "metrics.csv")).Length.ShouldBe(4);
            ShouldFailWithOneLine(Zoo(["train", "bernoulli-vae", "--out", copy]), "already holds a trained run");
        }
        finally { Directory.Delete(copy, true); }
    }

    [Theory]
    [InlineData("unknown model 'vq-vae' (available: bernoulli-vae, gaussian-vae, iwae, vae, vfae, wae-mmd)", "train", "vq-vae")]
    [InlineData("unknown key 'latnt' (did you mean 'latent'?)", "train", "bernoulli-vae", "latnt=2")]
    [InlineData("latent = 0 is out of range [1, 4096]", "train", "bernoulli-vae", "latent=0")]
    [InlineData("learning-rate = 'fast' is not a finite number", "train", "bernoulli-vae", "learning-rate=fast")]
    [InlineData("expected key=value, found 'latent'", "train", "bernoulli-vae", "latent")]
    [InlineData("dataset.binarize = 'maybe' is not one of: auto, threshold, stochastic, none", "train", "bernoulli-vae", "dataset.binarize=maybe")]
    [InlineData("unknown key 'binarize'", "train", "bernoulli-vae", "binarize=threshold")]         // a data set's key now, dataset.binarize
    [InlineData("unknown key 'encoder.hiden' (did you mean 'encoder.hidden'?)", "train", "vae", "encoder.hiden=5")]
    [InlineData("encoder.hidden = 0 is out of range [1, 65536]", "train", "vae", "encoder.hidden=0")]
    [InlineData("likelihood.min-variance = 2 is out of range [1E-08, 1]", "train", "gaussian-vae", "likelihood.min-variance=2")]
    [InlineData("likelihood = 'bernouli': unknown likelihood (did you mean 'bernoulli'?); available: ", "train", "vae", "likelihood=bernouli")]
    [InlineData("dataset = 'cifar': unknown data set; available: credit-g, csv, fashion-mnist, image-folder, mat, mnist, noisy-halves, npy, table or a path to a file", "train", "vae", "dataset=cifar")]
    [InlineData("dataset = 'digits.png': no data plugin reads .png files (files: .arff, .csv, .mat, .npy, .npz", "train", "vae", "dataset=digits.png")]
    [InlineData("run folder /nonexistent/run does not exist", "sample", "--run", "/nonexistent/run")]
    [InlineData("--count must be in [1, 10000]", "sample", "--run", "/tmp", "--count", "0")]
    [InlineData("--split must be train or test", "encode", "--run", "/tmp", "--split", "valid")]
    public void User_mistakes_end_in_one_line_and_exit_code_1(string message, params string[] args) =>
        ShouldFailWithOneLine(Zoo(args), message);

    [Fact]
    public void A_folder_without_a_checkpoint_is_named_in_the_error()
    {
        var empty = Directory.CreateTempSubdirectory("zoo-empty-").FullName;
        try { ShouldFailWithOneLine(Zoo("reconstruct", "--run", empty), $"no checkpoint in {empty}"); }
        finally { Directory.Delete(empty); }
    }

    [Fact]
    public void Latent_plot_needs_a_two_dimensional_latent()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zoo-cli-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Zoo(["train", "bernoulli-vae", .. Small.Split(' '), "latent=3", "epochs=1", "--out", dir]).Code.ShouldBe(0);
            ShouldFailWithOneLine(Zoo("latent-plot", "--run", dir), "latent-plot needs a 2-D latent");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void Missing_data_names_the_file_and_how_to_install_it()
    {
        var before = Environment.GetEnvironmentVariable("ZOO_MNIST_DIR");
        Environment.SetEnvironmentVariable("ZOO_MNIST_DIR", "/nonexistent/mnist");
        try
        {
            ShouldFailWithOneLine(Zoo("train", "bernoulli-vae", "--out", Path.Combine(Path.GetTempPath(), "zoo-never")),
                "mnist train data not found at /nonexistent/mnist/train-images-idx3-ubyte: install it with scripts/setup.sh");
        }
        finally { Environment.SetEnvironmentVariable("ZOO_MNIST_DIR", before); }
    }

    [Fact]
    public void Semisupervised_trains_the_vfae_on_mnist_with_few_labels_and_writes_its_accuracy_and_pictures()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zoo-semi-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var r = Zoo("semisupervised", "dataset.train-limit=300", "dataset.test-limit=100", "encoder.hidden=32", "decoder.hidden=32",
                "classifier-hidden=32", "latent=4", "latent2=3", "epochs=2",
                "--labels", "20,50", "--out", dir);
            r.Code.ShouldBe(0, r.Err);
            var table = File.ReadAllText(Path.Combine(dir, "semisupervised.md"));
            table.ShouldContain("| 20 | ");
            table.ShouldContain("| 50 | ");
            var accuracies = File.ReadAllLines(Path.Combine(dir, "semisupervised.csv")).Skip(1)
                .Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            accuracies.Count.ShouldBe(2);
            accuracies.ShouldAllBe(a => a > 0 && a <= 1);
            foreach (var f in new[] { "samples.png", "samples-by-class.png", "reconstructions.png", "curves.png", "metrics.csv", "checkpoint/model.safetensors" })
                File.Exists(Path.Combine(dir, "labels-20", f)).ShouldBeTrue(f);
            r.Out.ShouldContain("q(y|z1) test accuracy");
            // The accuracy after each epoch is metrics.csv's test_accuracy column (a panel of curves.png); the table's figure is the last epoch's.
            var curve = File.ReadAllLines(Path.Combine(dir, "labels-50", "metrics.csv"));
            curve.Length.ShouldBe(3);
            curve[0].ShouldBe(global::Zoo.Core.Training.EpochMetrics.CsvHeader() + ",test_accuracy");
            curve[2].Split(',')[^1].ShouldBe(File.ReadAllLines(Path.Combine(dir, "semisupervised.csv"))[2].Split(',')[1]);
            r.Out.ShouldContain("  epoch 2: test bound ");
            var sample = Zoo("sample", "--run", Path.Combine(dir, "labels-20"), "--count", "20", "--out", Path.Combine(dir, "s.png"));
            sample.Code.ShouldBe(0, sample.Err);
            sample.Out.ShouldContain("decoded from z ~ N(0, I) with its s");
            File.Exists(Path.Combine(dir, "s.png")).ShouldBeTrue();
            File.Exists(Path.Combine(dir, "s-by-class.png")).ShouldBeTrue();
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void The_vfae_on_images_asks_for_mmd_off_semisupervised_checks_its_labels_and_a_table_run_has_no_pictures()
    {
        ShouldFailWithOneLine(Zoo("train", "vfae", "dataset=mnist", "epochs=1", "--out", Path.Combine(Path.GetTempPath(), "zoo-never")),
            "set mmd=none");
        ShouldFailWithOneLine(Zoo("semisupervised", "--labels", "100,ten"), "--labels: expected positive whole numbers separated by commas, found 'ten'");
        ShouldFailWithOneLine(Zoo("semisupervised", "labels=5"), "use --labels");
        var dir = Path.Combine(Path.GetTempPath(), "zoo-table-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            Directory.CreateDirectory(dir);
            var csv = Path.Combine(dir, "t.csv");
            File.WriteAllText(csv, "a,b,s,y\n" + string.Concat(Enumerable.Range(0, 40).Select(i => $"{i % 3},{i * 0.5},{(i % 2 == 0 ? "m" : "f")},{(i % 4 < 2 ? "yes" : "no")}\n")));
            // A CSV table is named through the table plugin (a bare .csv path is the csv plugin's: a file of numbers).
            var trained = Zoo("train", "vfae", "dataset=table", $"dataset.path={csv}", "dataset.sensitive=s", "dataset.target=y", "epochs=1",
                "--out", Path.Combine(dir, "run"));
            trained.Code.ShouldBe(0, trained.Err);
            ShouldFailWithOneLine(Zoo("sample", "--run", Path.Combine(dir, "run")), "its rows are not pictures");
        }
        finally
        {
            if (Directory.Exists(dir)) Directory.Delete(dir, true);
        }
        ShouldFailWithOneLine(Zoo("train", "vfae", "dataset=mnist", "mmd=none", "sensitive-pixels=784", "epochs=1", "--out", Path.Combine(Path.GetTempPath(), "zoo-never")),
            "sensitive-pixels must be in [1, 783]");
    }

    [Fact]
    public void Parse_errors_exit_non_zero()
    {
        var r = Zoo("sample");
        r.Code.ShouldNotBe(0);
        r.Err.ShouldContain("--run");
    }

    [Fact]
    public void List_shows_every_plugin_with_its_keys_and_defaults()
    {
        var r = Zoo("list");
        r.Code.ShouldBe(0, r.Err);
        r.Err.ShouldBeEmpty(); // every built-in plugin loaded from plugins/ beside zoo.dll, none skipped
        foreach (var s in new[] { "bernoulli-vae", "gaussian-vae", "vae:", "vfae:", "bernoulli:", "gaussian:", "standard-normal", "gaussian-mlp", "min-variance", "learning-rate" })
            r.Out.ShouldContain(s);
        r.Out.ShouldMatch(@"latent\s+int\s+= 20\s+\[1, 4096\]");
    }

    [Fact]
    public void List_shows_every_family_with_parts_data_sets_and_callbacks()
    {
        var r = Zoo("list");
        r.Code.ShouldBe(0, r.Err);
        var text = r.Out;
        // Every family under its own heading, in the order of PluginKind.
        string[] headings = ["run keys", "likelihoods:", "priors:", "encoders:", "decoders:", "data sets:", "models:", "callbacks:"];
        var at = headings.Select(h => text.IndexOf("\n" + h, StringComparison.Ordinal) is var i && i >= 0 ? i : text.IndexOf(h, StringComparison.Ordinal)).ToList();
        at.ShouldAllBe(i => i >= 0);
        at.ShouldBeInOrder();
        string Section(string heading)
        {
            var k = Array.IndexOf(headings, heading);
            return k + 1 < headings.Length ? text[at[k]..at[k + 1]] : text[at[k]..];
        }
        Section("decoders:").ShouldContain("  mlp: ");
        foreach (var d in new[] { "mnist:", "fashion-mnist:", "noisy-halves:", "credit-g:", "npy:", "csv:", "table:" }) Section("data sets:").ShouldContain("  " + d);
        Section("data sets:").ShouldContain("reads: dataset=PATH.npy|.npz");
        Section("data sets:").ShouldMatch(@"train-limit\s+int\s+= 0");
        foreach (var c in new[] { "metrics-file:", "pictures:", "latent-activity:", "classifier-accuracy:" }) Section("callbacks:").ShouldContain("  " + c);
        // A model's parts: the family, the default plugin, what chooses it; presets show their run defaults.
        Section("models:").ShouldMatch(@"encoder\s+encoder\s+= gaussian-mlp\s+encoder plugin");
        Section("models:").ShouldMatch(@"decoder\s+decoder\s+= mlp\s+decoder plugin");
        Section("models:").ShouldContain("defaults: likelihood=bernoulli dataset=mnist");
        Section("run keys").ShouldMatch(@"dataset\s+data\s+= mnist\s+data plugin");
        Section("run keys").ShouldNotContain("model ");
    }

    [Fact]
    public void Semisupervised_names_the_ability_a_model_lacks()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zoo-semi-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            // Cheap: it fails before the first epoch, once the (tiny) data is loaded and the model built.
            ShouldFailWithOneLine(Zoo("semisupervised", "--model", "bernoulli-vae", "dataset.train-limit=100", "dataset.test-limit=50",
                    "encoder.hidden=16", "decoder.hidden=16", "--labels", "10", "--out", dir),
                "semisupervised scores a model's own classifier, and bernoulli-vae has none (it does not implement IClassifier)");
            // Refused before anything is written: no config.json or metrics.csv claims a run that never trained.
            Directory.GetFiles(dir, "*", SearchOption.AllDirectories).ShouldBeEmpty();
            // The vfae's plain-VAE variant has no classifier either, and says so.
            ShouldFailWithOneLine(Zoo("semisupervised", "variant=vae", "dataset.train-limit=100", "dataset.test-limit=50", "encoder.hidden=16",
                    "decoder.hidden=16", "--labels", "10", "--out", dir),
                "semisupervised: the vae variant of vfae has no classifier q(y|z1)");
            ShouldFailWithOneLine(Zoo("semisupervised", "--model", "vq-vae", "--out", dir), "unknown model 'vq-vae'");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void Fairness_of_a_model_on_data_without_sensitive_groups_says_so()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zoo-fair-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            ShouldFailWithOneLine(Zoo("fairness", "--model", "bernoulli-vae", "--seeds", "1", "dataset.train-limit=100", "dataset.test-limit=50",
                    "encoder.hidden=16", "decoder.hidden=16", "--out", dir),
                "fairness probes s groups, but mnist has none: use a table with a sensitive column");
            ShouldFailWithOneLine(Zoo("fairness", "--seeds", "0", "--out", dir), "--seeds must be in [1, 100], found 0");
            ShouldFailWithOneLine(Zoo("fairness", "variant=vae", "--out", dir), "fairness sets seed and variant itself");
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void Fairness_compares_the_vfae_with_its_variants_on_german_credit()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zoo-fair-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var r = Zoo("fairness", "--seeds", "1", "epochs=2", "--out", dir);
            r.Code.ShouldBe(0, r.Err);
            r.Out.ShouldContain("Fairness on credit-g, test split");
            var rows = File.ReadAllLines(Path.Combine(dir, "fairness.csv"));
            rows[0].ShouldBe("representation,seed,y_accuracy,s_accuracy_logistic,s_accuracy_mlp,s_majority,discrimination,classifier_accuracy");
            rows.Skip(1).Select(l => l.Split(',')[0]).ShouldBe(["raw x", "VAE", "VFAE without MMD", "VFAE"]);
            foreach (var row in rows.Skip(1).Select(l => l.Split(',')))
                row[2..6].Select(v => double.Parse(v, System.Globalization.CultureInfo.InvariantCulture)).ShouldAllBe(a => a >= 0 && a <= 1);
            // Only the VFAE variants have their own classifier q(y|z1).
            rows.Skip(1).Select(l => l.Split(',')[^1].Length > 0).ShouldBe([false, false, true, true]);
            File.ReadAllText(Path.Combine(dir, "fairness.md")).ShouldContain("| VFAE without MMD | ");
            foreach (var run in new[] { "vae", "vfae-without-mmd", "vfae" })
                File.Exists(Path.Combine(dir, "seed-0", run, "config.json")).ShouldBeTrue(run);
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_drop_in_prior_installs_and_a_vae_trains_with_it_by_name()
    {
        var home = Path.Combine(Path.GetTempPath(), "zoo-home-" + Guid.NewGuid().ToString("N")[..8]);
        var before = Environment.GetEnvironmentVariable("ZOO_HOME");
        Environment.SetEnvironmentVariable("ZOO_HOME", home);
        try
        {
            string[] demo = ["train", "vae", "prior=gaussian-mixture", "kl=monte-carlo", "latent=2", .. Small.Split(' '), "epochs=1", "--out", Path.Combine(home, "run")];
            ShouldFailWithOneLine(Zoo(demo), "prior = 'gaussian-mixture': unknown prior; available: standard-normal");
            var config = AppContext.BaseDirectory.Contains("/Debug/") ? "Debug" : "Release";
            var build = Path.Combine(RepoRoot(), "plugins", "Zoo.Plugins.MixturePrior", "bin", config, "net10.0", "Zoo.Plugins.MixturePrior.dll");
            var installed = Zoo("plugins", "install", build);
            installed.Code.ShouldBe(0, installed.Err);
            installed.Out.ShouldContain("installed Zoo.Plugins.MixturePrior into ");
            installed.Out.ShouldContain(": prior gaussian-mixture");
            Zoo("plugins").Out.ShouldContain("loaded  ");
            Zoo("list").Out.ShouldContain("  gaussian-mixture: ");
            var trained = Zoo(demo);
            trained.Code.ShouldBe(0, trained.Err);
            trained.Out.ShouldContain("prior=gaussian-mixture prior.components=10");
            Zoo("sample", "--run", Path.Combine(home, "run"), "--count", "4", "--out", Path.Combine(home, "s.png")).Code.ShouldBe(0);
        }
        finally
        {
            Environment.SetEnvironmentVariable("ZOO_HOME", before);
            if (Directory.Exists(home)) Directory.Delete(home, true);
        }
    }

    [Fact]
    public void Uninstall_removes_a_drop_in_by_folder_or_plugin_name_and_refuses_built_ins_and_unknown_names()
    {
        var home = Path.Combine(Path.GetTempPath(), "zoo-home-" + Guid.NewGuid().ToString("N")[..8]);
        var plugins = Path.Combine(home, "plugins");
        const string folder = "Zoo.Plugins.MixturePrior";
        try
        {
            var config = AppContext.BaseDirectory.Contains("/Debug/") ? "Debug" : "Release";
            var build = Path.Combine(RepoRoot(), "plugins", folder, "bin", config, "net10.0");
            ShouldFailWithOneLine(Zoo("plugins", "uninstall", folder, "--home", home), $"no installed plugin '{folder}' in {plugins} (none is installed)");
            foreach (var name in new[] { folder, "gaussian-mixture", "prior gaussian-mixture" })
            {
                Zoo("plugins", "install", build, "--home", home).Code.ShouldBe(0);
                ShouldFailWithOneLine(Zoo("plugins", "uninstall", "gausian-mixture", "--home", home), "; did you mean 'gaussian-mixture'?");
                ShouldFailWithOneLine(Zoo("plugins", "uninstall", "frobnicate", "--home", home), $"; installed: {folder} (prior gaussian-mixture)");
                ShouldFailWithOneLine(Zoo("plugins", "uninstall", "standard-normal", "--home", home),
                    $"'standard-normal' is a built-in plugin (Zoo.Plugins.Priors, beside zoo.dll), not a drop-in; only plugins in {plugins} can be uninstalled");
                ShouldFailWithOneLine(Zoo("plugins", "uninstall", "Zoo.Plugins.Priors", "--home", home), "is a built-in plugin");
                var removed = Zoo("plugins", "uninstall", name, "--home", home);
                removed.Code.ShouldBe(0, removed.Err);
                removed.Out.ShouldBe($"uninstalled {folder} from {Path.Combine(plugins, folder)}: prior gaussian-mixture\n");
                Directory.GetFileSystemEntries(plugins).ShouldBeEmpty(name); // renamed aside and deleted: nothing left, hidden or not
                Zoo("plugins", "--home", home).Out.ShouldContain("(empty; ");
            }
            // What a crash between the rename and the delete leaves is hidden: not a plugin, not listed as a broken one.
            Directory.CreateDirectory(Path.Combine(plugins, $".{folder}.old.tmp-999999"));
            File.WriteAllText(Path.Combine(plugins, $".{folder}.old.tmp-999999", folder + ".deps.json"), "{}");
            Zoo("plugins", "--home", home).Out.ShouldContain("(empty; ");
        }
        finally { if (Directory.Exists(home)) Directory.Delete(home, true); }
    }

    internal static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Zoo.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Zoo.sln not found above " + AppContext.BaseDirectory);
    }

    [Fact]
    public void A_runs_config_json_is_the_resolved_tree_and_reloads_into_the_same_run()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zoo-cli-" + Guid.NewGuid().ToString("N")[..8]);
        try
        {
            var trained = Zoo("train", "vae", "likelihood=gaussian", "likelihood.min-variance=0.01", "dataset=fashion-mnist", "dataset.train-limit=300",
                "dataset.test-limit=60", "encoder.hidden=24", "encoder.activation=tanh", "decoder.hidden=16", "latent=3", "epochs=1", "batch-size=50",
                "--out", dir);
            trained.Code.ShouldBe(0, trained.Err);
            trained.Out.ShouldContain("likelihood=gaussian likelihood.min-variance=0.01");
            var json = File.ReadAllText(Path.Combine(dir, "config.json"));
            var root = System.Text.Json.JsonDocument.Parse(json).RootElement;
            root.GetProperty("epochs").GetInt32().ShouldBe(1);
            var model = root.GetProperty("model");
            model.GetProperty("name").GetString().ShouldBe("vae");
            model.GetProperty("latent").GetInt32().ShouldBe(3);
            model.GetProperty("likelihood").GetProperty("name").GetString().ShouldBe("gaussian");
            model.GetProperty("likelihood").GetProperty("min-variance").GetDouble().ShouldBe(0.01);
            model.GetProperty("encoder").GetProperty("activation").GetString().ShouldBe("tanh");
            model.GetProperty("decoder").GetProperty("hidden").EnumerateArray().Select(e => e.GetInt32()).ShouldBe([16]);
            var dataset = root.GetProperty("dataset");
            dataset.GetProperty("name").GetString().ShouldBe("fashion-mnist");
            dataset.GetProperty("test-limit").GetInt32().ShouldBe(60);

            // The verbs reopen the run from it: same data (60 continuous test images), same networks.
            var sample = Zoo("sample", "--run", dir, "--count", "6", "--out", Path.Combine(dir, "s.png"));
            sample.Code.ShouldBe(0, sample.Err);
            sample.Out.ShouldContain("6 images decoded from z ~ p(z) (vae, epoch 1)");
            var eval = Zoo("eval", "--run", dir, "--k", "2", "--json", Path.Combine(dir, "e.json"));
            eval.Code.ShouldBe(0, eval.Err);
            eval.Out.ShouldContain("examples        60 (fashion-mnist test, none binarisation)");
            var enc = Zoo("encode", "--run", dir, "--out", Path.Combine(dir, "z.csv"));
            enc.Code.ShouldBe(0, enc.Err);
            File.ReadAllLines(Path.Combine(dir, "z.csv"))[0].ShouldBe("index,label,z0,z1,z2");

            // Resuming binds it again: a part's key is as fixed as any other; epochs may grow.
            ShouldFailWithOneLine(Zoo("train", "vae", "encoder.hidden=32", "--resume", "--out", dir), "only epochs may change");
            var resumed = Zoo("train", "vae", "epochs=2", "--resume", "--out", dir);
            resumed.Code.ShouldBe(0, resumed.Err);
            resumed.Out.ShouldContain("epoch 2/2");
            File.ReadAllText(Path.Combine(dir, "config.json")).ShouldBe(json.Replace("\"epochs\": 1,", "\"epochs\": 2,"));
        }
        finally { if (Directory.Exists(dir)) Directory.Delete(dir, true); }
    }

    private static void CopyDir(string from, string to)
    {
        foreach (var d in Directory.GetDirectories(from, "*", SearchOption.AllDirectories)) Directory.CreateDirectory(d.Replace(from, to));
        Directory.CreateDirectory(to);
        foreach (var f in Directory.GetFiles(from, "*", SearchOption.AllDirectories)) File.Copy(f, f.Replace(from, to));
    }
}

[CollectionDefinition("cli", DisableParallelization = true)]
public sealed class CliCollection;
