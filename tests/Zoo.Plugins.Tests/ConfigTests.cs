using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Plugins.Data.FashionMnist;
using Zoo.Plugins.Data.Mnist;
using Zoo.Plugins.Decoders.Mlp;
using Zoo.Plugins.Encoders.GaussianMlp;
using Zoo.Plugins.Likelihoods.Gaussian;
using Zoo.Plugins.Vae.BernoulliVae;
using Zoo.Plugins.Vae.Vae;

namespace Zoo.Plugins.Tests;

/// <summary>Binding a run (training keys + model with its parts + data) from text, sections and JSON, and the catalog.</summary>
public class ConfigTests
{
    private static readonly ServiceProvider Services = Zoo.Services();
    private static PluginCatalog Catalog => Services.Catalog();

    private static RunConfig Bind(string model, params string[] settings) => RunConfig.Bind(model, Zoo.Pairs(settings), Catalog);

    private static VaeConfig Vae(RunConfig run) => (VaeConfig)run.ModelConfig;
    private static GaussianMlpEncoderConfig Encoder(RunConfig run) => (GaussianMlpEncoderConfig)Vae(run).Encoder.BoundConfig;
    private static MlpDecoderConfig Decoder(RunConfig run) => (MlpDecoderConfig)Vae(run).Decoder.BoundConfig;

    [Fact]
    public void Defaults_are_seed_003s_set_up()
    {
        var c = Bind("bernoulli-vae");
        (c.Dataset.Name, c.Model.Name, Vae(c).Latent, c.BatchSize, c.LearningRate, c.Epochs).ShouldBe(("mnist", "bernoulli-vae", 20, 100, 1e-3, 10));
        (Vae(c).Likelihood.Name, Vae(c).Prior.Name, Vae(c).Encoder.Name, Vae(c).Decoder.Name).ShouldBe(("bernoulli", "standard-normal", "gaussian-mlp", "mlp"));
        (Encoder(c).Activation, Decoder(c).Activation).ShouldBe(("softplus", "softplus"));
        Encoder(c).Hidden.ShouldBe([500, 500]);
        Decoder(c).Hidden.ShouldBe([500, 500]);
        // binarize=auto: thresholded for the Bernoulli likelihood (seed 003), none for the Gaussian one.
        ((MnistConfig)c.Dataset.BoundConfig).Binarize.ShouldBe(BinarizeOption.Auto);
        c.ModelPlugin.AutoBinarization(c.ModelConfig).ShouldBe(Binarization.Threshold);

        var gaussian = Bind("gaussian-vae");
        gaussian.Dataset.Name.ShouldBe("fashion-mnist");
        gaussian.Dataset.BoundConfig.ShouldBeOfType<FashionMnistConfig>();
        gaussian.Values()["likelihood"].ShouldBe("gaussian");
        gaussian.Values()["likelihood.min-variance"].ShouldBe("0.001");
        gaussian.ModelPlugin.AutoBinarization(gaussian.ModelConfig).ShouldBe(Binarization.None);
        Catalog.Model("gaussian-vae").RunDefaults.ShouldContain(new KeyValuePair<string, string>("dataset", "fashion-mnist"));
        // The run's own default data set is mnist; the preset's run defaults move it.
        RunConfig.Schema.Keys.First(k => k.Name == "dataset").Default.ShouldBe("mnist");
        Bind("vae").Dataset.Name.ShouldBe("mnist");
    }

    [Fact]
    public void Values_bind_by_kebab_case_key_with_every_type_at_every_level()
    {
        var c = Bind("bernoulli-vae", "latent=2", "encoder.hidden=256, 128", "learning-rate=3e-4", "kl=monte-carlo", "dataset.binarize=stochastic",
            "dataset=fashion-mnist", "encoder.activation=leaky_relu:0.2", "decoder.hidden=32", "dataset.train-limit=10");
        (Vae(c).Latent, c.LearningRate, Vae(c).Kl, c.Dataset.Name, Encoder(c).Activation, Decoder(c).Activation)
            .ShouldBe((2, 3e-4, KlEstimator.MonteCarlo, "fashion-mnist", "leaky_relu:0.2", "softplus"));
        Encoder(c).Hidden.ShouldBe([256, 128]);
        Decoder(c).Hidden.ShouldBe([32]);
        var data = c.Dataset.BoundConfig.ShouldBeOfType<FashionMnistConfig>();
        (data.Binarize, data.TrainLimit, data.TestLimit).ShouldBe((BinarizeOption.Stochastic, 10, 0));
        c.Values()["encoder.hidden"].ShouldBe("256,128");
        c.Values()["dataset.binarize"].ShouldBe("stochastic");
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_key()
    {
        var e = Should.Throw<ConfigException>(() => Bind("bernoulli-vae",
            "latnt=2", "epochs=0", "learning-rate=fast", "dataset=cifar", "encoder.activation=swish", "encoder.hidden=500,0"));
        e.Message.ShouldStartWith("bernoulli-vae config: ");
        e.Message.ShouldContain("unknown key 'latnt' (did you mean 'latent'?)");
        e.Message.ShouldContain("epochs = 0 is out of range [1, 100000]");
        e.Message.ShouldContain("learning-rate = 'fast' is not a finite number");
        e.Message.ShouldContain("dataset = 'cifar': unknown data");
        e.Message.ShouldContain("encoder.hidden = 500,0 is out of range");
        e.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void Cross_key_rules_run_once_the_keys_are_valid()
    {
        Should.Throw<ConfigException>(() => Bind("bernoulli-vae", "encoder.activation=swish")).Message.ShouldContain("encoder: activation:");
        Should.Throw<ConfigException>(() => Bind("bernoulli-vae", "decoder.activation=swish")).Message.ShouldContain("decoder: activation:");
        Should.Throw<ConfigException>(() => Bind("bernoulli-vae", "kl=monte-carlo", "beta=0")).Message.ShouldContain("use kl = analytic");
    }

    [Fact]
    public void A_config_round_trips_through_json()
    {
        var c = Bind("bernoulli-vae", "latent=7", "encoder.hidden=32,16", "beta=0.25", "kl=monte-carlo");
        var json = c.ToJson();
        var back = RunConfig.FromJson(json, "saved.json", Catalog);
        back.ToJson().ShouldBe(json);
        back.Values().ShouldBe(c.Values());
        Should.Throw<ConfigException>(() => RunConfig.FromJson("[1]", "saved.json", Catalog)).Message.ShouldStartWith("saved.json: ");
        Should.Throw<ConfigException>(() => RunConfig.FromJson("{ \"latent\": 0 }", "saved.json", Catalog)).Message.ShouldContain("latent = 0 is out of range");
        Should.Throw<ConfigException>(() => RunConfig.FromJson("{ \"encoder\": { \"name\": \"gaussian-mlp\", \"hidden\": [0] } }", "saved.json", Catalog))
            .Message.ShouldContain("encoder.hidden = 0 is out of range");
    }

    [Fact]
    public void Required_keys_must_not_be_empty()
    {
        var e = Should.Throw<ConfigException>(() => Bind("bernoulli-vae", "encoder.activation= ", "decoder.hidden="));
        e.Message.ShouldContain("encoder.activation must not be empty");
        e.Message.ShouldContain("decoder.hidden must not be empty");
        Should.Throw<ConfigException>(() => Bind("vae", "dataset=npy")).Message.ShouldContain("dataset.path must not be empty");
    }

    [Fact]
    public void A_configuration_section_binds_like_key_values()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["run:model"] = "bernoulli-vae", ["run:latent"] = "3", ["run:encoder:hidden:0"] = "64", ["run:encoder:hidden:1"] = "32",
            ["run:kl"] = "monte-carlo", ["run:dataset:name"] = "fashion-mnist", ["run:dataset:train-limit"] = "100",
        }).Build().GetSection("run");
        var c = RunConfig.Schema.Bind(section, "appsettings.json run", Catalog);
        (c.Model.Name, Vae(c).Latent, Vae(c).Kl, c.Dataset.Name).ShouldBe(("bernoulli-vae", 3, KlEstimator.MonteCarlo, "fashion-mnist"));
        Encoder(c).Hidden.ShouldBe([64, 32]);
        ((FashionMnistConfig)c.Dataset.BoundConfig).TrainLimit.ShouldBe(100);
        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["run:epoch"] = "3" }).Build().GetSection("run");
        Should.Throw<ConfigException>(() => RunConfig.Schema.Bind(bad, "appsettings.json run", Catalog)).Message
            .ShouldStartWith("appsettings.json run: unknown key 'epoch' (did you mean 'epochs'?)");
    }

    [Fact]
    public void Each_plugin_assembly_registers_through_its_generated_marker()
    {
        // What the host does with an assembly it did not reference at build time: read the marker, run the registration.
        var services = new ServiceCollection().AddZooCore();
        var names = new List<string>();
        foreach (var assembly in new[] { typeof(BernoulliVaePlugin), typeof(GaussianLikelihoodConfig),
                     typeof(Priors.StandardNormal.StandardNormalPriorPlugin), typeof(GaussianMlpEncoderConfig), typeof(MlpDecoderPlugin) }
                     .Select(t => t.Assembly))
            names.AddRange(services.AddZooPluginAssembly(assembly).Plugins);
        names.Order().ShouldBe(["decoder conv", "decoder mlp", "encoder conv", "encoder gaussian-mlp", "likelihood bernoulli", "likelihood continuous-bernoulli", "likelihood gaussian",
            "model bernoulli-vae", "model gaussian-vae", "model iwae", "model vae", "model wae-mmd", "prior standard-normal", "prior vamp"]);
        using var sp = services.BuildServiceProvider();
        sp.GetRequiredService<PluginCatalog>().All.Count.ShouldBe(14);
        Should.Throw<InvalidOperationException>(() => new ServiceCollection().AddZooPluginAssembly(typeof(ConfigTests).Assembly))
            .Message.ShouldContain("has no [assembly: ZooPluginAssembly]");
    }

    [Fact]
    public void Assignments_must_be_key_equals_value()
    {
        ConfigText.ParseAssignments(["a=1", "b = x=y"]).ShouldBe([new("a", "1"), new("b", "x=y")]);
        Should.Throw<ConfigException>(() => ConfigText.ParseAssignments(["latent"])).Message.ShouldBe("expected key=value, found 'latent'");
    }

    [Fact]
    public void The_catalog_resolves_by_name_and_rejects_duplicates()
    {
        Catalog.OfKind(PluginKind.Model).Select(p => p.Name).ShouldBe(["bernoulli-vae", "gaussian-vae", "iwae", "vae", "vfae", "wae-mmd"]);
        Catalog.OfKind(PluginKind.Callback).Select(p => p.Name).ShouldBe(["classifier-accuracy", "latent-activity", "metrics-file", "pictures"]);
        Catalog.Likelihood("gaussian").Config.Keys.Single().Name.ShouldBe("min-variance");
        Should.Throw<ArgumentException>(() => Catalog.Model("vq-vae")).Message.ShouldBe("unknown model 'vq-vae' (available: bernoulli-vae, gaussian-vae, iwae, vae, vfae, wae-mmd)");
        Should.Throw<InvalidOperationException>(() => new PluginCatalog([Catalog.Model("bernoulli-vae"), Catalog.Model("bernoulli-vae")]))
            .Message.ShouldContain("two model plugins are named 'bernoulli-vae'");
        // dataset= takes a plugin or a path whose extension a data plugin claims.
        Catalog.Resolve(PluginKind.Data, "/x/faces.npz", out var implied, out _)!.Name.ShouldBe("npy");
        implied.ShouldBe([new("path", "/x/faces.npz")]);
        Catalog.Resolve(PluginKind.Data, "/x/points.csv", out _, out _)!.Name.ShouldBe("csv");
        Catalog.Resolve(PluginKind.Data, "/x/table.arff", out _, out _)!.Name.ShouldBe("table");
        Catalog.Resolve(PluginKind.Data, "/x/faces.h5", out _, out var problem).ShouldBeNull();
        problem.ShouldStartWith("no data plugin reads .h5 files (files: .arff, .csv, .mat, .npy, .npz;");
    }
}
