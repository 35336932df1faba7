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

    private const string Small = "train-limit=400 test-limit=120 hidden=48 batch-size=50";

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

        ShouldFailWithOneLine(Zoo("score", "--run", run.Dir, "--data", "cifar"), "unknown dataset 'cifar'");
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
    [InlineData("unknown model 'vq-vae' (available: bernoulli-vae, gaussian-vae, vfae)", "train", "vq-vae")]
    [InlineData("unknown key 'latnt' (did you mean 'latent'?)", "train", "bernoulli-vae", "latnt=2")]
    [InlineData("latent = 0 is out of range [1, 4096]", "train", "bernoulli-vae", "latent=0")]
    [InlineData("learning-rate = 'fast' is not a finite number", "train", "bernoulli-vae", "learning-rate=fast")]
    [InlineData("expected key=value, found 'latent'", "train", "bernoulli-vae", "latent")]
    [InlineData("binarize = 'maybe' is not one of: none, threshold, stochastic", "train", "bernoulli-vae", "binarize=maybe")]
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
            var r = Zoo("semisupervised", "train-limit=300", "test-limit=100", "hidden=32", "latent=4", "latent2=3", "epochs=2",
                "--labels", "20,50", "--out", dir);
            r.Code.ShouldBe(0, r.Err);
            var table = File.ReadAllText(Path.Combine(dir, "semisupervised.md"));
            table.ShouldContain("| 20 | ");
            table.ShouldContain("| 50 | ");
            var accuracies = File.ReadAllLines(Path.Combine(dir, "semisupervised.csv")).Skip(1)
                .Select(l => double.Parse(l.Split(',')[1], System.Globalization.CultureInfo.InvariantCulture)).ToList();
            accuracies.Count.ShouldBe(2);
            accuracies.ShouldAllBe(a => a > 0 && a <= 1);
            foreach (var f in new[] { "samples.png", "samples-by-class.png", "reconstructions.png", "accuracy.png", "metrics.csv", "checkpoint/model.safetensors" })
                File.Exists(Path.Combine(dir, "labels-20", f)).ShouldBeTrue(f);
            r.Out.ShouldContain("q(y|z1) test accuracy");
            // The accuracy after each epoch; the table's figure is the last epoch's.
            var curve = File.ReadAllLines(Path.Combine(dir, "labels-50", "accuracy.csv"));
            curve.Length.ShouldBe(3);
            curve[0].ShouldBe("epoch,test_accuracy");
            curve[2].Split(',')[1].ShouldBe(File.ReadAllLines(Path.Combine(dir, "semisupervised.csv"))[2].Split(',')[1]);
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
            var trained = Zoo("train", "vfae", $"dataset={csv}", "sensitive=s", "target=y", "epochs=1", "--out", Path.Combine(dir, "run"));
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
        r.Code.ShouldBe(0);
        foreach (var s in new[] { "bernoulli-vae", "gaussian-vae", "bernoulli:", "gaussian:", "standard-normal", "gaussian-mlp", "min-variance", "learning-rate" })
            r.Out.ShouldContain(s);
        r.Out.ShouldMatch(@"latent\s+int\s+= 20\s+\[1, 4096\]");
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
