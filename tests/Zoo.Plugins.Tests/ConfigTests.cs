using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Plugins.Vae.BernoulliVae;
using Zoo.Plugins.Vae.GaussianVae;

namespace Zoo.Plugins.Tests;

public class ConfigTests
{
    private static readonly ConfigSchema<BernoulliVaeConfig> Bernoulli = BernoulliVaeConfig.Schema;

    [Fact]
    public void Defaults_are_seed_003s_set_up()
    {
        var c = Bernoulli.Default();
        (c.Dataset, c.Latent, c.BatchSize, c.LearningRate, c.Activation, c.Binarize).ShouldBe(("mnist", 20, 100, 1e-3, "softplus", Core.Data.Binarization.Threshold));
        c.Hidden.ShouldBe([500, 500]);
        GaussianVaeConfig.Schema.Default().Dataset.ShouldBe("fashion-mnist");
        GaussianVaeConfig.Schema.Keys.First(k => k.Name == "dataset").Default.ShouldBe("fashion-mnist");
    }

    [Fact]
    public void Values_bind_by_kebab_case_key_with_every_type()
    {
        var c = Bernoulli.Bind(new Dictionary<string, string>
        {
            ["latent"] = "2", ["hidden"] = "256, 128", ["learning-rate"] = "3e-4", ["kl"] = "monte-carlo", ["binarize"] = "stochastic",
            ["dataset"] = "fashion-mnist", ["activation"] = "leaky_relu:0.2",
        }, "t");
        (c.Latent, c.LearningRate, c.Kl, c.Binarize, c.Dataset, c.Activation)
            .ShouldBe((2, 3e-4, KlEstimator.MonteCarlo, Core.Data.Binarization.Stochastic, "fashion-mnist", "leaky_relu:0.2"));
        c.Hidden.ShouldBe([256, 128]);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_with_its_key()
    {
        var e = Should.Throw<ConfigException>(() => Bernoulli.Bind(new Dictionary<string, string>
        {
            ["latnt"] = "2", ["epochs"] = "0", ["learning-rate"] = "fast", ["dataset"] = "cifar", ["activation"] = "swish", ["hidden"] = "500,0",
        }, "bernoulli-vae config"));
        e.Message.ShouldStartWith("bernoulli-vae config: ");
        e.Message.ShouldContain("unknown key 'latnt' (did you mean 'latent'?)");
        e.Message.ShouldContain("epochs = 0 is out of range [1, 100000]");
        e.Message.ShouldContain("learning-rate = 'fast' is not a finite number");
        e.Message.ShouldContain("dataset = 'cifar' is not one of: mnist, fashion-mnist");
        e.Message.ShouldContain("hidden = 500,0 is out of range");
        e.Message.ShouldNotContain("\n");
    }

    [Fact]
    public void Cross_key_rules_run_once_the_keys_are_valid()
    {
        Should.Throw<ConfigException>(() => Bernoulli.Bind([new("activation", "swish")], "c")).Message.ShouldContain("activation:");
        Should.Throw<ConfigException>(() => Bernoulli.Bind([new("kl", "monte-carlo"), new("beta", "0")], "c")).Message.ShouldContain("use kl = analytic");
    }

    [Fact]
    public void A_config_round_trips_through_json()
    {
        var c = Bernoulli.Bind([new("latent", "7"), new("hidden", "32,16"), new("beta", "0.25"), new("kl", "monte-carlo")], "t");
        var json = Bernoulli.ToJson(c);
        var back = Bernoulli.FromJson(json, "saved.json");
        Bernoulli.ToJson(back).ShouldBe(json);
        Bernoulli.Values(back).ShouldBe(Bernoulli.Values(c));
        Should.Throw<ConfigException>(() => Bernoulli.FromJson("[1]", "saved.json")).Message.ShouldStartWith("saved.json: ");
        Should.Throw<ConfigException>(() => Bernoulli.FromJson("{ \"latent\": 0 }", "saved.json")).Message.ShouldContain("latent = 0 is out of range");
    }

    [Fact]
    public void Required_keys_must_not_be_empty()
    {
        var e = Should.Throw<ConfigException>(() => Bernoulli.Bind([new("encoder", " "), new("hidden", "")], "c"));
        e.Message.ShouldContain("encoder must not be empty");
        e.Message.ShouldContain("hidden must not be empty");
    }

    [Fact]
    public void A_configuration_section_binds_like_key_values()
    {
        var section = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["model:latent"] = "3", ["model:hidden:0"] = "64", ["model:hidden:1"] = "32", ["model:kl"] = "monte-carlo",
        }).Build().GetSection("model");
        var c = Bernoulli.Bind(section, "appsettings.json model");
        (c.Latent, c.Kl).ShouldBe((3, KlEstimator.MonteCarlo));
        c.Hidden.ShouldBe([64, 32]);
        var bad = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["model:epoch"] = "3" }).Build().GetSection("model");
        Should.Throw<ConfigException>(() => Bernoulli.Bind(bad, "appsettings.json model")).Message
            .ShouldStartWith("appsettings.json model: unknown key 'epoch' (did you mean 'epochs'?)");
    }

    [Fact]
    public void Each_plugin_assembly_registers_through_its_generated_marker()
    {
        // What the host does with an assembly it did not reference at build time: read the marker, run the registration.
        var services = new ServiceCollection().AddZooCore();
        var names = new List<string>();
        foreach (var assembly in new[] { typeof(BernoulliVaeConfig), typeof(Likelihoods.Gaussian.GaussianLikelihoodConfig),
                     typeof(Priors.StandardNormal.StandardNormalPriorPlugin), typeof(Encoders.GaussianMlp.GaussianMlpEncoderConfig) }
                     .Select(t => t.Assembly))
            names.AddRange(services.AddZooPluginAssembly(assembly).Plugins);
        names.Order().ShouldBe(["encoder gaussian-mlp", "likelihood bernoulli", "likelihood gaussian", "model bernoulli-vae", "model gaussian-vae", "prior standard-normal"]);
        using var sp = services.BuildServiceProvider();
        sp.GetRequiredService<PluginCatalog>().All.Count.ShouldBe(6);
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
        using var sp = Zoo.Services();
        var catalog = sp.Catalog();
        catalog.OfKind(PluginKind.Model).Select(p => p.Name).ShouldBe(["bernoulli-vae", "gaussian-vae", "vfae"]);
        catalog.Likelihood("gaussian").Config.Keys.Single().Name.ShouldBe("min-variance");
        Should.Throw<ArgumentException>(() => catalog.Model("vq-vae")).Message.ShouldBe("unknown model 'vq-vae' (available: bernoulli-vae, gaussian-vae, vfae)");
        Should.Throw<InvalidOperationException>(() => new PluginCatalog([catalog.Model("bernoulli-vae"), catalog.Model("bernoulli-vae")]))
            .Message.ShouldContain("two model plugins are named 'bernoulli-vae'");
    }
}
