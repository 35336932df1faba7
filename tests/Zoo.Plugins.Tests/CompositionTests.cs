using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using Zoo.Plugins.Data.Mnist;
using Zoo.Plugins.Decoders.Mlp;
using Zoo.Plugins.Encoders.GaussianMlp;
using Zoo.Plugins.Likelihoods.Gaussian;
using Zoo.Plugins.MixturePrior.GaussianMixture;
using Zoo.Plugins.Vae.Vae;
using Zoo.Plugins.Vfae.Vfae;

namespace Zoo.Plugins.Tests;

/// <summary>
/// A run composed of parts: nested binding and its errors at every level, the resolved config's round trip (JSON and
/// checkpoint), and models assembled from parts of several plugin assemblies.
/// </summary>
public class NestedBindingTests
{
    private static readonly ServiceProvider Services = Zoo.Services(s =>
    {
        s.AddSingleton<IPlugin>(new TestEncoderPlugin("keyless-mlp", NoConfig.Schema));
        s.AddSingleton<IPlugin>(new TestEncoderPlugin("wide-mlp", GaussianMlpEncoderConfig.Schema));
    });

    private static PluginCatalog Catalog => Services.Catalog();

    private static RunConfig Bind(string model, params string[] settings) => RunConfig.Bind(model, Zoo.Pairs(settings), Catalog);

    private static string Problems(string model, params string[] settings) => Should.Throw<ConfigException>(() => Bind(model, settings)).Message;

    /// <summary>An encoder plugin of the test's own with the given keys (a diagonal Gaussian MLP with one layer of 8 underneath).</summary>
    private sealed class TestEncoderPlugin(string name, IConfigSchema schema) : IEncoderPlugin
    {
        public PluginKind Kind => PluginKind.Encoder;
        public string Name => name;
        public string Description => "test encoder";
        public IConfigSchema Config => schema;

        public IEncoder Create(object config, int inputDim, int latentDim, Generator generator) =>
            new GaussianMlpEncoder(inputDim, [8], Activation.Softplus, latentDim, generator);
    }

    [Fact]
    public void Problems_at_every_level_are_reported_in_one_line_naming_the_model()
    {
        var message = Problems("gaussian-vae",
            "encoder=gausian-mlp", "decoder.hiden=5", "decoder.hidden=0", "dataset.binarise=stochastic", "latnt=3", "epoch=2",
            "latent=2", "latent=3", "likelihood=bernoulli", "likelihood.min-variance=0.1");
        message.ShouldStartWith("gaussian-vae config: ");
        message.ShouldNotContain("\n");
        message.ShouldContain("encoder = 'gausian-mlp': unknown encoder (did you mean 'gaussian-mlp'?); available: conv, gaussian-mlp, keyless-mlp, wide-mlp");
        message.ShouldContain("unknown key 'decoder.hiden' (did you mean 'decoder.hidden'?)");
        message.ShouldContain("decoder.hidden = 0 is out of range [1, 65536]");
        message.ShouldContain("unknown key 'dataset.binarise' (did you mean 'dataset.binarize'?)");
        message.ShouldContain("unknown key 'latnt' (did you mean 'latent'?)");
        message.ShouldContain("unknown key 'epoch' (did you mean 'epochs'?)");
        message.ShouldContain("latent is given twice");
        // gaussian-vae's likelihood has min-variance; choosing bernoulli instead binds that key against bernoulli, which has none.
        message.ShouldContain("'likelihood.min-variance': likelihood 'bernoulli' has no keys");
        message.Split("; ").Count(p => p.StartsWith("unknown key", StringComparison.Ordinal)).ShouldBe(4);
    }

    [Fact]
    public void Each_kind_of_problem_is_named_with_its_full_key()
    {
        var part = Problems("vae", "encoder.hiden=5", "encoder.hidden=0");
        part.ShouldStartWith("vae config: ");
        part.ShouldContain("unknown key 'encoder.hiden' (did you mean 'encoder.hidden'?)");
        part.ShouldContain("encoder.hidden = 0 is out of range [1, 65536]");

        Problems("vae", "encoder=gausian-mlp").ShouldBe(
            "vae config: encoder = 'gausian-mlp': unknown encoder (did you mean 'gaussian-mlp'?); available: conv, gaussian-mlp, keyless-mlp, wide-mlp");
        Problems("vae", "dataset.binarise=none").ShouldStartWith("vae config: unknown key 'dataset.binarise' (did you mean 'dataset.binarize'?)");
        Problems("vae", "dataset.binarize=sometimes").ShouldContain("dataset.binarize = 'sometimes' is not one of: auto, threshold, stochastic, none");
        Problems("bernoulli-vae", "latnt=3").ShouldStartWith("bernoulli-vae config: unknown key 'latnt' (did you mean 'latent'?)");
        Problems("bernoulli-vae", "epoch=3").ShouldStartWith("bernoulli-vae config: unknown key 'epoch' (did you mean 'epochs'?)");
        Problems("vae", "latent=2", "latent=3").ShouldBe("vae config: latent is given twice");
        Problems("vae", "dataset=mnist", "dataset=fashion-mnist").ShouldBe("vae config: dataset is given twice");
        Problems("vfae", "encoder.activation=swish").ShouldStartWith("vfae config: encoder: activation:");
        Problems("vfae", "dataset.target=").ShouldContain("dataset.target must not be empty");
    }

    [Fact]
    public void Choosing_another_part_binds_the_keys_against_that_part()
    {
        // gaussian has min-variance; bernoulli has no keys at all.
        Bind("gaussian-vae", "likelihood.min-variance=0.1").Values()["likelihood.min-variance"].ShouldBe("0.1");
        Bind("vae", "likelihood=gaussian", "likelihood.min-variance=0.1").Values()["likelihood.min-variance"].ShouldBe("0.1");
        Problems("gaussian-vae", "likelihood=bernoulli", "likelihood.min-variance=0.1")
            .ShouldBe("gaussian-vae config: 'likelihood.min-variance': likelihood 'bernoulli' has no keys");
        Bind("gaussian-vae", "likelihood=bernoulli").Values().Keys.ShouldNotContain("likelihood.min-variance");
        // Another data set takes its own keys: a path only where the plugin has one.
        Problems("vae", "dataset=mnist", "dataset.path=x.npy").ShouldStartWith("vae config: unknown key 'dataset.path'");
        Bind("vae", "dataset=npy", "dataset.path=x.npy").Dataset.BoundConfig.ShouldBeOfType<Data.Npy.NpyConfig>().Path.ShouldBe("x.npy");
    }

    [Fact]
    public void A_path_given_as_the_data_set_binds_the_path_and_reloads_from_its_resolved_config()
    {
        var file = Bind("vae", "dataset=/data/faces.npz", "dataset.array=faces");
        (file.Dataset.Name, file.Dataset.Bound.Name).ShouldBe(("/data/faces.npz", "npy"));
        (file.Values()["dataset"], file.Values()["dataset.path"], file.Values()["dataset.array"]).ShouldBe(("/data/faces.npz", "/data/faces.npz", "faces"));
        // What the resolved config writes (the path twice: as the name and as the key) binds back to the same run.
        RunConfig.FromJson(file.ToJson(), "config.json", Catalog).ToJson().ShouldBe(file.ToJson());
        RunConfig.Bind("vae", file.Values().Where(kv => kv.Key != "model"), Catalog).ToJson().ShouldBe(file.ToJson());
        Problems("vae", "dataset=/data/faces.npz", "dataset.path=/data/other.npz").ShouldBe("vae config: dataset.path = '/data/other.npz' contradicts dataset = '/data/faces.npz'");
    }

    [Fact]
    public void A_models_default_for_a_parts_key_applies_only_to_the_default_part()
    {
        static VfaeConfig Vfae(RunConfig run) => (VfaeConfig)run.ModelConfig;

        // vfae's run defaults: encoder.hidden=100 and decoder.hidden=100 (the parts' own defaults are 500,500).
        var defaults = Bind("vfae");
        Vfae(defaults).Encoder.BoundConfig.ShouldBeOfType<GaussianMlpEncoderConfig>().Hidden.ShouldBe([100]);
        Vfae(defaults).Decoder.BoundConfig.ShouldBeOfType<MlpDecoderConfig>().Hidden.ShouldBe([100]);
        (defaults.Epochs, defaults.Dataset.Name).ShouldBe((200, "credit-g"));
        // Naming the default part changes nothing.
        Vfae(Bind("vfae", "encoder=gaussian-mlp")).Encoder.BoundConfig.ShouldBeOfType<GaussianMlpEncoderConfig>().Hidden.ShouldBe([100]);

        // Another encoder gets its own defaults, not the ones meant for gaussian-mlp ...
        var wide = Bind("vfae", "encoder=wide-mlp");
        (Vfae(wide).Encoder.Name, Vfae(wide).Encoder.Bound.Name).ShouldBe(("wide-mlp", "wide-mlp"));
        Vfae(wide).Encoder.BoundConfig.ShouldBeOfType<GaussianMlpEncoderConfig>().Hidden.ShouldBe([500, 500]);
        Vfae(wide).Decoder.BoundConfig.ShouldBeOfType<MlpDecoderConfig>().Hidden.ShouldBe([100]); // the decoder is still the default one
        Vfae(Bind("vfae", "encoder=wide-mlp", "encoder.hidden=7")).Encoder.BoundConfig.ShouldBeOfType<GaussianMlpEncoderConfig>().Hidden.ShouldBe([7]);

        // ... and one without a hidden key is not told about it, while the user's own setting still is an error.
        var keyless = Bind("vfae", "encoder=keyless-mlp");
        Vfae(keyless).Encoder.BoundConfig.ShouldBeOfType<NoConfig>();
        keyless.Values().Keys.ShouldNotContain("encoder.hidden");
        Problems("vfae", "encoder=keyless-mlp", "encoder.hidden=100").ShouldBe("vfae config: 'encoder.hidden': encoder 'keyless-mlp' has no keys");
    }
}

/// <summary>A run's resolved config.json: JSON with nested parts that reloads into the same run, also from a checkpoint.</summary>
[Collection("Serial")]
public class RunConfigRoundTripTests
{
    private static readonly string[] NonDefault =
    [
        "likelihood=gaussian", "likelihood.min-variance=0.01", "encoder.hidden=32,16", "encoder.activation=tanh", "decoder.hidden=24",
        "decoder.activation=elu:0.5", "latent=5", "beta=0.5", "dataset=fashion-mnist", "dataset.binarize=none", "dataset.train-limit=300",
        "dataset.test-limit=100", "epochs=1", "seed=7", "batch-size=40", "learning-rate=0.002",
    ];

    [Fact]
    public void A_resolved_config_round_trips_through_json_with_nested_parts()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var run = RunConfig.Bind("vae", Zoo.Pairs(NonDefault), catalog);
        var json = run.ToJson();

        var obj = JsonNode.Parse(json)!.AsObject();
        obj["epochs"]!.GetValue<int>().ShouldBe(1);
        obj["dataset"]!["name"]!.GetValue<string>().ShouldBe("fashion-mnist");
        obj["dataset"]!["train-limit"]!.GetValue<int>().ShouldBe(300);
        json.ShouldContain("\"gaussian-mlp\"");
        json.ShouldContain("\"tanh\"");
        json.ShouldContain("\"elu:0.5\"");

        var back = RunConfig.FromJson(json, "config.json", catalog);
        back.ToJson().ShouldBe(json);
        back.Values().ShouldBe(run.Values());
        var values = run.Values();
        (values["model"], values["likelihood"], values["likelihood.min-variance"], values["encoder.hidden"], values["decoder.activation"], values["dataset.binarize"])
            .ShouldBe(("vae", "gaussian", "0.01", "32,16", "elu:0.5", "none"));
        // The values are what the command line takes back.
        RunConfig.Bind("vae", values.Where(kv => kv.Key != "model"), catalog).ToJson().ShouldBe(json);
        // A preset's resolved config names the preset and reloads as it.
        var preset = RunConfig.Bind("gaussian-vae", Zoo.Pairs("epochs=1"), catalog);
        RunConfig.FromJson(preset.ToJson(), "config.json", catalog).Model.Name.ShouldBe("gaussian-vae");
    }

    [Fact]
    public void A_checkpoint_reopens_with_the_same_resolved_config()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        var run = RunConfig.Bind("vae", Zoo.Pairs(NonDefault), catalog);
        var dir = Zoo.TempDir();
        try
        {
            var metrics = run.Train(dir, resume: false, []).Metrics;
            File.ReadAllText(Trainer.ConfigPath(dir)).ShouldBe(run.ToJson());
            using (var opened = TrainedRun.Open(dir, catalog))
            {
                opened.Config.ToJson().ShouldBe(run.ToJson());
                opened.Config.Values().ShouldBe(run.Values());
                (opened.Plugin.Name, opened.Dataset, opened.Model.LatentDim, opened.Epoch).ShouldBe(("vae", "fashion-mnist", 5, 1));
                (opened.Data.Binarization, opened.Data.Train.Count, opened.Data.TestSet.Count).ShouldBe((Binarization.None, 300, 100));
                Trainer.Evaluate(opened.Model, opened.Data.Test, opened.Training.Seed).Bound.ShouldBe(metrics[^1].TestElbo, 1e-9);
            }

            // Resuming may change the epochs, nothing else.
            var resumed = RunConfig.Resumed(dir, "vae", Zoo.Pairs("epochs=2"), catalog);
            resumed.ToJson().ShouldBe((run with { Epochs = 2 }).ToJson());
            Should.Throw<ArgumentException>(() => RunConfig.Resumed(dir, "vae", Zoo.Pairs("encoder.hidden=8"), catalog))
                .Message.ShouldContain("encoder.hidden is 32,16");
            Should.Throw<ArgumentException>(() => RunConfig.Resumed(dir, "bernoulli-vae", [], catalog)).Message.ShouldContain("holds a 'vae' run");
        }
        finally { Directory.Delete(dir, true); }
    }
}

/// <summary>Models assembled from parts that come from several plugin assemblies, trained on slices of real data.</summary>
[Collection("Serial")]
public class CompositionTests
{
    [Fact]
    public void A_vae_of_parts_from_four_assemblies_trains_and_is_built_from_them()
    {
        using var sp = Zoo.Services(s => s.AddZooPluginAssembly(typeof(GaussianMixturePriorPlugin).Assembly));
        var catalog = sp.Catalog();
        var run = catalog.SmallRun("vae", "likelihood=gaussian", "prior=gaussian-mixture", "prior.components=4", "kl=monte-carlo",
            "encoder=gaussian-mlp", "decoder=mlp", "latent=2", "epochs=2");
        var cfg = (VaeConfig)run.ModelConfig;
        static string AssemblyOf(object o) => o.GetType().Assembly.GetName().Name!;
        (AssemblyOf(cfg.Likelihood.Bound), AssemblyOf(cfg.Prior.Bound), AssemblyOf(cfg.Encoder.Bound), AssemblyOf(cfg.Decoder.Bound),
                AssemblyOf(run.ModelPlugin), AssemblyOf(run.Dataset.Bound))
            .ShouldBe(("Zoo.Plugins.Likelihoods", "Zoo.Plugins.MixturePrior", "Zoo.Plugins.Encoders", "Zoo.Plugins.Decoders", "Zoo.Plugins.Vae", "Zoo.Plugins.Data"));
        cfg.Likelihood.Bound.ShouldBeOfType<GaussianLikelihoodPlugin>();
        cfg.Prior.BoundConfig.ShouldBeOfType<GaussianMixturePriorConfig>().Components.ShouldBe(4);

        var dir = Zoo.TempDir();
        try
        {
            var metrics = run.Train(dir, resume: false, []).Metrics;
            metrics.Count.ShouldBe(2);
            metrics.ShouldAllBe(m => double.IsFinite(m.TestElbo) && double.IsFinite(m.TrainLoss) && m.TestKl > 0);
            metrics[1].TestElbo.ShouldBeGreaterThan(metrics[0].TestElbo);

            using var trained = TrainedRun.Open(dir, catalog);
            var vae = trained.Model.ShouldBeOfType<VariationalAutoencoder>();
            vae.Likelihood.ShouldBeOfType<GaussianLikelihood>();
            vae.Prior.ShouldBeOfType<GaussianMixturePrior>();
            var children = vae.named_children().ToDictionary(c => c.name, c => c.module);
            children["encoder"].ShouldBeOfType<GaussianMlpEncoder>();
            AssemblyOf(children["encoder"]).ShouldBe("Zoo.Plugins.Encoders");
            using var g = new Generator(1);
            using var x = vae.Sample(3, g);
            x.shape.ShouldBe([3L, 784]);
        }
        finally { Directory.Delete(dir, true); }
    }

    [Fact]
    public void The_generic_vae_trains_with_a_likelihood_it_has_no_preset_for_and_matches_the_preset_that_sets_the_same()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        // A preset is run defaults: vae with likelihood=gaussian on all of fashion-mnist's training split is gaussian-vae key for key.
        var run = catalog.SmallRun("vae", "likelihood=gaussian", "dataset=fashion-mnist", "dataset.validation=0", "epochs=2");
        var preset = catalog.SmallRun("gaussian-vae", "epochs=2");
        run.Values().Where(kv => kv.Key != "model").ShouldBe(preset.Values().Where(kv => kv.Key != "model"));
        run.ModelPlugin.AutoBinarization(run.ModelConfig).ShouldBe(Binarization.None);

        using (var data = run.LoadData())
        {
            // binarize=auto leaves grey pixels grey for the Gaussian likelihood.
            data.Binarization.ShouldBe(Binarization.None);
            var pixels = data.Test.data<float>();
            pixels.Count(v => v > 0.01f && v < 0.99f).ShouldBeGreaterThan(1000);
        }

        var (a, b) = (Zoo.TempDir(), Zoo.TempDir());
        try
        {
            var metrics = run.Train(a, resume: false, []).Metrics;
            metrics.ShouldAllBe(m => double.IsFinite(m.TestElbo) && m.TestKl > 0);
            metrics[1].TestElbo.ShouldBeGreaterThan(metrics[0].TestElbo);
            var presetMetrics = preset.Train(b, resume: false, []).Metrics;
            presetMetrics.Select(m => m.TestElbo).ShouldBe(metrics.Select(m => m.TestElbo));
            CheckpointState.Load(CheckpointState.Locate(a)).Model.ShouldBe("vae");
            CheckpointState.Load(CheckpointState.Locate(b)).Model.ShouldBe("gaussian-vae");
        }
        finally
        {
            Directory.Delete(a, true);
            Directory.Delete(b, true);
        }
    }

    [Fact]
    public void The_mnist_default_and_the_bernoulli_preset_differ_only_in_the_model_name()
    {
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        // The preset trains on the whole training split, as seed 003 did; vae holds out MNIST's standard validation split.
        RunConfig.Bind("vae", [], catalog).Values().Where(kv => kv.Key != "model").Except(RunConfig.Bind("bernoulli-vae", [], catalog).Values())
            .ShouldBe([new("dataset.validation", "auto")]);
        var vae = RunConfig.Bind("vae", Zoo.Pairs("dataset.validation=0"), catalog);
        var preset = RunConfig.Bind("bernoulli-vae", [], catalog);
        vae.Values().Where(kv => kv.Key != "model").ShouldBe(preset.Values().Where(kv => kv.Key != "model"));
        vae.Dataset.BoundConfig.ShouldBeOfType<MnistConfig>();
        vae.ModelPlugin.AutoBinarization(vae.ModelConfig).ShouldBe(Binarization.Threshold);
    }
}
