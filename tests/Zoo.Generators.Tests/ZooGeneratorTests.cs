using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using static Zoo.Generators.Tests.GeneratorHarness;

namespace Zoo.Generators.Tests;

/// <summary>
/// The generator on in-memory compilations. Generated source and diagnostics are approved-file snapshots
/// (Shouldly's ShouldMatchApproved; README "Snapshot tests" says how to review and accept changes); the generated
/// code is also compiled, loaded and run.
/// </summary>
public class ZooGeneratorTests
{
    /// <summary>A representative spec: every supported type, a base record, ranges, allowed values, required, a rule, docs.</summary>
    private const string Config = """
        using System.ComponentModel;
        using System.ComponentModel.DataAnnotations;
        using Zoo.Core.Configuration;

        namespace Demo.Models;

        public enum KlEstimator { Analytic, MonteCarlo }

        /// <summary>Keys every demo model shares.</summary>
        [ZooConfig]
        [ConfigRule(nameof(CheckBatch))]
        public abstract partial record DemoBaseConfig
        {
            /// <summary>training <c>epochs</c></summary>
            [Range(1, 1000)]
            public int Epochs { get; init; } = 10;

            [Description("minibatch size")]
            [Range(1, 60000)]
            public int BatchSize { get; init; } = 100;

            protected string? CheckBatch() => BatchSize > 1000 && Epochs > 100 ? "batch-size > 1000 with epochs > 100 is a long run; split it" : null;
        }

        [ZooConfig]
        [ConfigRule(nameof(CheckLatent))]
        public sealed partial record DemoVaeConfig : DemoBaseConfig
        {
            [Description("data set")]
            [AllowedValues("mnist", "fashion-mnist")]
            [Required]
            public string Dataset { get; init; } = "mnist";

            [Description("hidden layer sizes, input side first")]
            [Range(1, 65536)]
            [Required]
            public int[] Hidden { get; init; } = [500, 500];

            [Description("latent dimensions")]
            [Range(1, 4096)]
            public int Latent { get; init; } = 20;

            [Description("Adam learning rate")]
            [Range(1e-7, 1.0)]
            public double LearningRate { get; init; } = 1e-3;

            [Description("KL term")]
            public KlEstimator Kl { get; init; } = KlEstimator.MonteCarlo;

            [Description("seed")]
            public long Seed { get; init; }

            [Description("stop early when the test ELBO stalls")]
            public bool EarlyStop { get; init; } = true;

            public int NotAKey => Latent * 2;

            private string? CheckLatent() => Latent > 64 && Hidden[^1] < Latent ? "latent must not exceed the last hidden layer" : null;
        }
        """;

    private const string Plugins = """
        using Zoo.Core.Configuration;
        using Zoo.Core.Plugins;
        using Zoo.Torch;

        namespace Demo.Models;

        /// <summary>A demo model: the <see cref="DemoVaeConfig"/> keys.</summary>
        [ZooPlugin("demo-vae")]
        public sealed partial class DemoVaePlugin : ModelPlugin<DemoVaeConfig>
        {
            protected override IVaeModel Create(DemoVaeConfig config, DataShape data, torch.Generator generator) => throw new System.NotImplementedException();
        }

        [ZooPlugin("demo-prior", Description = "a prior with no keys")]
        public sealed partial class DemoPriorPlugin : PriorPlugin<NoConfig>
        {
            protected override IPrior Create(NoConfig config) => throw new System.NotImplementedException();
        }
        """;

    /// <summary>
    /// A representative spec with nested parts: a model record with a likelihood and an encoder part (each a plugin with
    /// keys of its own) and a rule, and a run record that holds the model inline ([InlineKeys]) and a data part.
    /// </summary>
    private const string PartsConfig = """
        using System.ComponentModel;
        using System.ComponentModel.DataAnnotations;
        using Zoo.Core.Configuration;
        using Zoo.Core.Plugins;

        namespace Demo.Parts;

        [ZooConfig]
        [ConfigRule(nameof(CheckSamples))]
        public sealed partial record DemoComposedConfig
        {
            [Description("likelihood plugin p(x|z)")]
            public Part<ILikelihoodPlugin> Likelihood { get; init; } = "demo-bernoulli";

            /// <summary>encoder plugin q(z|x)</summary>
            public Part<IEncoderPlugin> Encoder { get; init; } = "demo-mlp";

            [Description("latent dimensions")]
            [Range(1, 4096)]
            public int Latent { get; init; } = 20;

            [Description("z samples per example")]
            [Range(1, 1000)]
            public int Samples { get; init; } = 1;

            private string? CheckSamples() => Samples > Latent ? "samples must not exceed latent" : null;
        }

        [ZooConfig]
        public sealed partial record DemoRunConfig
        {
            [Description("training epochs")]
            [Range(1, 1000)]
            public int Epochs { get; init; } = 10;

            [Description("the model: its keys sit at the run's level")]
            [InlineKeys]
            public Part<IModelPlugin> Model { get; init; } = "demo-model";

            [Description("the data: a data plugin or a .demo file")]
            public Part<IDataPlugin> Dataset { get; init; } = "demo-data";
        }
        """;

    /// <summary>The plugins the parts of <see cref="PartsConfig"/> choose from (what they build is never called).</summary>
    private const string PartsPlugins = """
        using System.ComponentModel;
        using System.ComponentModel.DataAnnotations;
        using Zoo.Core.Configuration;
        using Zoo.Core.Plugins;
        using Zoo.Torch;

        namespace Demo.Parts;

        [ZooConfig]
        public sealed partial record DemoGaussianConfig
        {
            [Description("variance floor")]
            [Range(1e-8, 1.0)]
            public double MinVariance { get; init; } = 1e-3;
        }

        [ZooConfig]
        [ConfigRule(nameof(CheckDepth))]
        public sealed partial record DemoMlpConfig
        {
            [Description("hidden layer sizes")]
            [Range(1, 65536)]
            [Required]
            public int[] Hidden { get; init; } = [500, 500];

            [Description("activation")]
            [AllowedValues("relu", "tanh")]
            public string Activation { get; init; } = "relu";

            private string? CheckDepth() => Hidden.Length > 3 ? "at most 3 hidden layers" : null;
        }

        [ZooConfig]
        public sealed partial record DemoDataConfig
        {
            [Description("path to a .demo file (empty: the built-in set)")]
            public string Path { get; init; } = "";

            [Description("use only the first N training examples (0 = all)")]
            [Range(0, 1000000)]
            public int TrainLimit { get; init; }
        }

        /// <summary>Bernoulli, no keys</summary>
        [ZooPlugin("demo-bernoulli")]
        public sealed partial class DemoBernoulli : LikelihoodPlugin<NoConfig> { protected override ILikelihood Create(NoConfig c) => throw new System.NotImplementedException(); }

        /// <summary>Gaussian with a variance floor</summary>
        [ZooPlugin("demo-gaussian")]
        public sealed partial class DemoGaussian : LikelihoodPlugin<DemoGaussianConfig> { protected override ILikelihood Create(DemoGaussianConfig c) => throw new System.NotImplementedException(); }

        /// <summary>an MLP encoder</summary>
        [ZooPlugin("demo-mlp")]
        public sealed partial class DemoMlp : EncoderPlugin<DemoMlpConfig>
        {
            protected override IEncoder Create(DemoMlpConfig c, int inputDim, int latentDim, torch.Generator g) => throw new System.NotImplementedException();
        }

        /// <summary>a composed model</summary>
        [ZooPlugin("demo-model")]
        public sealed partial class DemoModel : ModelPlugin<DemoComposedConfig>
        {
            protected override IVaeModel Create(DemoComposedConfig c, DataShape data, torch.Generator g) => throw new System.NotImplementedException();
        }

        /// <summary>demo data</summary>
        [ZooPlugin("demo-data")]
        public sealed partial class DemoData : DataPlugin<DemoDataConfig>
        {
            public override System.Collections.Generic.IReadOnlyList<string> FileExtensions => new[] { ".demo" };
            protected override Zoo.Core.Training.TrainingData Load(DemoDataConfig c, DataRequest r) => throw new System.NotImplementedException();
        }
        """;

    /// <summary>
    /// A small part resolver over the plugins of a compilation (the catalog's job in a running zoo): plugins by family
    /// and name, and a .demo path to the data plugin that claims it, with `path` set to the value.
    /// </summary>
    private sealed class FakeParts(IEnumerable<IPlugin> plugins) : IPartResolver
    {
        private readonly List<IPlugin> plugins = plugins.ToList();

        public IPlugin? Resolve(PluginKind kind, string value, out IReadOnlyList<KeyValuePair<string, string>> implied, out string? problem)
        {
            implied = [];
            problem = null;
            if (plugins.FirstOrDefault(p => p.Kind == kind && p.Name == value) is { } plugin) return plugin;
            if (kind == PluginKind.Data && value.EndsWith(".demo", StringComparison.Ordinal))
            {
                implied = [new("path", value)];
                return plugins.First(p => p.Kind == PluginKind.Data);
            }
            problem = $"no {kind} plugin '{value}' (have: {string.Join(", ", plugins.Where(p => p.Kind == kind).Select(p => p.Name))})";
            return null;
        }
    }

    private static (IConfigSchema Run, IConfigSchema Model, FakeParts Parts) LoadParts()
    {
        var (run, output) = Run(PartsConfig, PartsPlugins);
        run.Diagnostics.ShouldBeEmpty();
        var assembly = Load(output);
        var services = new ServiceCollection();
        services.AddZooPluginAssembly(assembly);
        var plugins = services.Select(d => d.ImplementationInstance ?? Activator.CreateInstance(d.ImplementationType!)).OfType<IPlugin>().ToList();
        plugins.Count.ShouldBe(5);
        IConfigSchema Schema(string type) => (IConfigSchema)assembly.GetType(type)!.GetProperty("Schema")!.GetValue(null)!;
        return (Schema("Demo.Parts.DemoRunConfig"), Schema("Demo.Parts.DemoComposedConfig"), new FakeParts(plugins));
    }

    [Fact]
    public void Generated_schema_of_a_representative_spec()
    {
        var (run, output) = Run(Config);
        run.Diagnostics.ShouldBeEmpty();
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ShouldBeEmpty();
        // The abstract base gets no schema of its own; its keys and rule come first in the derived one.
        run.Results.Single().GeneratedSources.Select(s => s.HintName).ShouldBe(["Demo.Models.DemoVaeConfig.Config.g.cs"]);
        run.Source("Demo.Models.DemoVaeConfig.Config.g.cs").ShouldMatchApproved(c => c.NoDiff().WithFileExtension("cs.txt"));
    }

    [Fact]
    public void Generated_plugin_members_and_assembly_registration()
    {
        var (run, output) = Run(Config, Plugins);
        run.Diagnostics.ShouldBeEmpty();
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ShouldBeEmpty();
        string.Join("\n", new[] { "Demo.Models.DemoVaePlugin.Plugin.g.cs", "Demo.Models.DemoPriorPlugin.Plugin.g.cs", "ZooPluginRegistration.g.cs" }
                .Select(h => $"// ===== {h}\n{run.Source(h)}"))
            .ShouldMatchApproved(c => c.NoDiff().WithFileExtension("cs.txt"));
    }

    [Fact]
    public void Generated_schema_of_a_config_with_nested_parts()
    {
        var (run, output) = Run(PartsConfig);
        run.Diagnostics.ShouldBeEmpty();
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ShouldBeEmpty();
        string[] hints = ["Demo.Parts.DemoComposedConfig.Config.g.cs", "Demo.Parts.DemoRunConfig.Config.g.cs"];
        run.Results.Single().GeneratedSources.Select(s => s.HintName).Order().ShouldBe(hints);
        string.Join("\n", hints.Select(h => $"// ===== {h}\n{run.Source(h)}"))
            .ShouldMatchApproved(c => c.NoDiff().WithFileExtension("cs.txt"));
    }

    [Fact]
    public void The_generated_schema_binds_nested_parts_through_a_part_resolver_and_round_trips_as_a_tree()
    {
        var (runSchema, modelSchema, parts) = LoadParts();
        runSchema.Keys.Select(k => $"{k.Name}:{k.TypeName}={k.Default}:{k.Family}").ShouldBe(
            ["epochs:int=10:", "model:model=demo-model:Model", "dataset:data=demo-data:Data"]);
        modelSchema.Keys.Select(k => $"{k.Name}:{k.TypeName}={k.Default}:{k.Family}").ShouldBe(
            ["likelihood:likelihood=demo-bernoulli:Likelihood", "encoder:encoder=demo-mlp:Encoder", "latent:int=20:", "samples:int=1:"]);
        modelSchema.Keys[1].Description.ShouldBe("encoder plugin q(z|x)"); // from the doc comment

        // Parts need a resolver; their defaults alone are unbound names.
        Should.Throw<InvalidOperationException>(() => runSchema.Bind([], "demo")).Message.ShouldContain("binding it needs a part resolver");
        var unbound = (IPart)runSchema.Type.GetProperty("Model")!.GetValue(runSchema.Default())!;
        (unbound.Name, unbound.Plugin, unbound.Config).ShouldBe(("demo-model", null, null));

        // Keys at every level: the model's inline (latent), its parts' as PART.KEY, the data's as dataset.KEY; a path picks the data plugin.
        var bound = runSchema.Bind([new("epochs", "3"), new("latent", "8"), new("likelihood", "demo-gaussian"), new("likelihood.min-variance", "0.01"),
            new("encoder.hidden", "64,32"), new("dataset", "digits.demo"), new("dataset.train-limit", "100")], "demo run", parts);
        var values = runSchema.Values(bound);
        values.ShouldBe(new Dictionary<string, string>
        {
            ["epochs"] = "3", ["model"] = "demo-model", ["likelihood"] = "demo-gaussian", ["likelihood.min-variance"] = "0.01",
            ["encoder"] = "demo-mlp", ["encoder.hidden"] = "64,32", ["encoder.activation"] = "relu", ["latent"] = "8", ["samples"] = "1",
            ["dataset"] = "digits.demo", ["dataset.path"] = "digits.demo", ["dataset.train-limit"] = "100",
        }, ignoreOrder: true);
        values.Keys.ShouldBe(["epochs", "model", "likelihood", "likelihood.min-variance", "encoder", "encoder.hidden", "encoder.activation",
            "latent", "samples", "dataset", "dataset.path", "dataset.train-limit"]);
        // Typed all the way down: each part holds its plugin and that plugin's own config record.
        var model = (IPart)runSchema.Type.GetProperty("Model")!.GetValue(bound)!;
        model.Plugin!.Name.ShouldBe("demo-model");
        model.Config!.GetType().Name.ShouldBe("DemoComposedConfig");
        var likelihood = (IPart)model.Config.GetType().GetProperty("Likelihood")!.GetValue(model.Config)!;
        (likelihood.Name, likelihood.Plugin!.Kind, likelihood.Config!.GetType().Name).ShouldBe(("demo-gaussian", PluginKind.Likelihood, "DemoGaussianConfig"));
        likelihood.Plugin.Config.Values(likelihood.Config)["min-variance"].ShouldBe("0.01");
        var dataset = (IPart)runSchema.Type.GetProperty("Dataset")!.GetValue(bound)!;
        (dataset.Name, dataset.Plugin!.Name).ShouldBe(("digits.demo", "demo-data"));

        // JSON is the resolved tree: a part is a nested object with its name first; it binds back to the same run.
        var json = runSchema.ToJson(bound);
        var tree = System.Text.Json.Nodes.JsonNode.Parse(json)!;
        tree["model"]!["name"]!.GetValue<string>().ShouldBe("demo-model");
        tree["model"]!["likelihood"]!.ToJsonString().ShouldBe("""{"name":"demo-gaussian","min-variance":0.01}""");
        tree["model"]!["encoder"]!.ToJsonString().ShouldBe("""{"name":"demo-mlp","hidden":[64,32],"activation":"relu"}""");
        tree["model"]!["latent"]!.GetValue<int>().ShouldBe(8);
        tree["dataset"]!.ToJsonString().ShouldBe("""{"name":"digits.demo","path":"digits.demo","train-limit":100}""");
        ((System.Text.Json.Nodes.JsonObject)tree).Select(kv => kv.Key).ShouldBe(["epochs", "model", "dataset"]);
        var back = runSchema.FromJson(json, "saved.json", parts);
        back.GetType().ShouldBe(runSchema.Type);
        runSchema.ToJson(back).ShouldBe(json);
        runSchema.Values(back).ShouldBe(values);
        // The text form binds back too (what --resume does with a checkpoint's config).
        runSchema.ToJson(runSchema.Bind(values.Where(kv => kv.Key != "model"), "again", parts, [new("model", "demo-model")])).ShouldBe(json);
    }

    [Fact]
    public void Nested_parts_report_every_problem_at_every_level_named_by_its_path()
    {
        var (runSchema, _, parts) = LoadParts();
        var e = Should.Throw<ConfigException>(() => runSchema.Bind([new("epochs", "0"), new("latnt", "2"), new("samples", "x"),
            new("encoder.hiden", "5"), new("encoder.activation", "swish"), new("likelihood", "demo-gaussian"), new("likelihood.min-variance", "5"),
            new("dataset.train-limit", "-1"), new("dataset.size", "3")], "demo run", parts));
        // Level by level: the inline model's own keys (an unknown one offered the run's keys too), its parts, the data, the run's checks.
        e.Message.ShouldBe("demo run: " + string.Join("; ",
            "unknown key 'latnt' (did you mean 'latent'?); known keys: likelihood, encoder, latent, samples, epochs, dataset",
            "samples = 'x' is not an integer",
            "likelihood.min-variance = 5 is out of range [1E-08, 1]",
            "unknown key 'encoder.hiden' (did you mean 'encoder.hidden'?); known keys: encoder.hidden, encoder.activation",
            "encoder.activation = 'swish' is not one of: relu, tanh",
            "unknown key 'dataset.size'; known keys: dataset.path, dataset.train-limit",
            "dataset.train-limit = -1 is out of range [0, 1000000]",
            "epochs = 0 is out of range [1, 1000]"));

        // A part's plugin that cannot be resolved: the resolver's reason, and its keys are not bound against anything.
        Should.Throw<ConfigException>(() => runSchema.Bind([new("likelihood", "demo-poisson"), new("likelihood.rate", "2"), new("model", "nope")], "c", parts))
            .Message.ShouldBe("c: model = 'nope': no Model plugin 'nope' (have: demo-model)");
        Should.Throw<ConfigException>(() => runSchema.Bind([new("likelihood", "demo-poisson"), new("likelihood.rate", "2")], "c", parts))
            .Message.ShouldBe("c: likelihood = 'demo-poisson': no Likelihood plugin 'demo-poisson' (have: demo-bernoulli, demo-gaussian)");
        // A key given twice, at any level.
        Should.Throw<ConfigException>(() => runSchema.Bind([new("encoder.hidden", "5"), new("encoder.hidden", "6")], "c", parts))
            .Message.ShouldBe("c: encoder.hidden is given twice");
        // Rules run per level once that level is valid: the part's named by its path, the inline model's at the top.
        Should.Throw<ConfigException>(() => runSchema.Bind([new("encoder.hidden", "8,8,8,8")], "c", parts)).Message
            .ShouldBe("c: encoder: at most 3 hidden layers");
        Should.Throw<ConfigException>(() => runSchema.Bind([new("latent", "2"), new("samples", "3")], "c", parts)).Message
            .ShouldBe("c: samples must not exceed latent");
        // A default for a part's key applies only while that part is the default one.
        IReadOnlyList<KeyValuePair<string, string>> defaults = [new("likelihood", "demo-gaussian"), new("likelihood.min-variance", "0.5")];
        runSchema.Values(runSchema.Bind([], "c", parts, defaults))["likelihood.min-variance"].ShouldBe("0.5");
        var other = runSchema.Values(runSchema.Bind([new("likelihood", "demo-bernoulli")], "c", parts, defaults));
        other["likelihood"].ShouldBe("demo-bernoulli");
        other.Keys.ShouldNotContain("likelihood.min-variance");
        // A resolved path read back: the implied path is no second setting, a different one is.
        runSchema.Values(runSchema.Bind([new("dataset", "a.demo"), new("dataset.path", "a.demo")], "c", parts))["dataset.path"].ShouldBe("a.demo");
        Should.Throw<ConfigException>(() => runSchema.Bind([new("dataset", "a.demo"), new("dataset.path", "b.demo")], "c", parts))
            .Message.ShouldBe("c: dataset.path = 'b.demo' contradicts dataset = 'a.demo'");
    }

    [Fact]
    public void The_generated_schema_binds_validates_and_round_trips_without_reflection()
    {
        var (_, output) = Run(Config);
        var assembly = Load(output);
        var type = assembly.GetType("Demo.Models.DemoVaeConfig")!;
        var schema = (IConfigSchema)type.GetProperty("Schema")!.GetValue(null)!;

        schema.Keys.Select(k => $"{k.Name}:{k.TypeName}={k.Default}").ShouldBe(
            ["epochs:int=10", "batch-size:int=100", "dataset:text=mnist", "hidden:int list=500,500", "latent:int=20",
             "learning-rate:number=0.001", "kl:choice=monte-carlo", "seed:long=0", "early-stop:bool=true"]);
        schema.Keys[0].Description.ShouldBe("training epochs"); // from the doc comment
        schema.Keys.Single(k => k.Name == "kl").Allowed.ShouldBe(["analytic", "monte-carlo"]);

        var bound = schema.Bind([new("latent", "8"), new("hidden", "64,32"), new("kl", "Analytic"), new("seed", "9000000000"),
            new("early-stop", "false"), new("learning-rate", "3e-4"), new("epochs", "2")], "demo");
        var values = schema.Values(bound);
        (values["latent"], values["hidden"], values["kl"], values["seed"], values["early-stop"], values["learning-rate"], values["epochs"])
            .ShouldBe(("8", "64,32", "analytic", "9000000000", "false", "0.0003", "2"));
        var json = schema.ToJson(bound);
        json.ShouldContain("\"hidden\": [\n    64,\n    32\n  ]");
        var back = schema.FromJson(json, "saved.json");
        back.GetType().ShouldBe(type);
        schema.ToJson(back).ShouldBe(json);
        schema.Values(back).ShouldBe(values);
    }

    [Fact]
    public void The_generated_schema_reports_every_problem_at_once()
    {
        var (_, output) = Run(Config);
        var schema = (IConfigSchema)Load(output).GetType("Demo.Models.DemoVaeConfig")!.GetProperty("Schema")!.GetValue(null)!;
        var e = Should.Throw<ConfigException>(() => schema.Bind([new("latnt", "2"), new("epochs", "0"), new("learning-rate", "fast"),
            new("dataset", "cifar"), new("hidden", "500,0"), new("kl", "exact"), new("early-stop", "yes")], "demo config"));
        e.Message.ShouldBe("demo config: unknown key 'latnt' (did you mean 'latent'?); known keys: epochs, batch-size, dataset, hidden, latent, " +
                           "learning-rate, kl, seed, early-stop; learning-rate = 'fast' is not a finite number; kl = 'exact' is not one of: " +
                           "analytic, monte-carlo; early-stop = 'yes' is not true or false; epochs = 0 is out of range [1, 1000]; dataset = 'cifar' " +
                           "is not one of: mnist, fashion-mnist; hidden = 500,0 is out of range [1, 65536]");
        Should.Throw<ConfigException>(() => schema.Bind([new("dataset", "")], "c")).Message.ShouldStartWith("c: dataset must not be empty");
        // Rules (own and inherited) run once every key is valid on its own.
        Should.Throw<ConfigException>(() => schema.Bind([new("latent", "128"), new("hidden", "64")], "c")).Message
            .ShouldBe("c: latent must not exceed the last hidden layer");
        Should.Throw<ConfigException>(() => schema.Bind([new("batch-size", "2000"), new("epochs", "200")], "c")).Message
            .ShouldBe("c: batch-size > 1000 with epochs > 100 is a long run; split it");
    }

    [Fact]
    public void The_generated_registration_adds_the_plugins_through_the_assembly_marker()
    {
        var (_, output) = Run(Config, Plugins);
        var services = new ServiceCollection().AddZooCore();
        services.AddZooPluginAssembly(Load(output)).Plugins.ShouldBe(["model demo-vae", "prior demo-prior"]);
        using var sp = services.BuildServiceProvider();
        var catalog = sp.GetRequiredService<PluginCatalog>();
        catalog.Model("demo-vae").Description.ShouldBe("A demo model: the DemoVaeConfig keys.");
        catalog.Prior("demo-prior").Config.Keys.ShouldBeEmpty();
        catalog.Model("demo-vae").Config.Keys.Count.ShouldBe(9);
    }

    [Fact]
    public void Authoring_mistakes_are_reported_with_ids_and_locations()
    {
        const string configs = """
            using System.ComponentModel;
            using System.ComponentModel.DataAnnotations;
            using Zoo.Core.Configuration;

            [ZooConfig]
            public sealed record NotPartialConfig
            {
                [Description("x")] public int X { get; init; }
            }

            [ZooConfig]
            [ConfigRule("Missing")]
            public sealed partial record BadConfig
            {
                [Description("a dictionary")] public System.Collections.Generic.Dictionary<string, int> Map { get; init; } = new();
                [Description("latent")][Range(1, 10)] public int Latent { get; init; } = 20;
                [Description("hidden")][Range(1, 100)] public int[] Hidden { get; init; } = [50, 500];
                public int Undocumented { get; init; }
                [Description("first")] public int MaxLR { get; init; }
                [Description("second")] public int MaxLr { get; init; }
                [Description("a flag")][Range(0, 1)][Required] public bool Flag { get; init; }
                [Description("data")][AllowedValues("a", "b")] public string Data { get; init; } = "c";
                [Description("inlined")][Zoo.Core.Configuration.InlineKeys] public int Inlined { get; init; }
            }

            [ZooConfig]
            public sealed partial record PositionalConfig(int Latent);

            [ZooConfig]
            public sealed partial class ClassConfig { }

            [ZooConfig]
            [ConfigRule("Hidden")]
            public abstract partial record SharedConfig
            {
                [Description("x")] public int X { get; init; }
                private string? Hidden() => null;
            }
            """;
        const string plugins = """
            using Zoo.Core.Configuration;
            using Zoo.Core.Plugins;

            public sealed record Plain;

            [ZooConfig]
            public sealed partial record OkConfig;

            [ZooPlugin("fine")]
            public sealed class NotPartialPlugin : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }

            /// <summary>not a plugin</summary>
            [ZooPlugin("loose")]
            public sealed partial class Loose { }

            /// <summary>uses a plain record</summary>
            [ZooPlugin("plain")]
            public sealed partial class PlainPlugin : PriorPlugin<Plain> { protected override IPrior Create(Plain c) => null!; }

            /// <summary>bad name</summary>
            [ZooPlugin("Beta_VAE")]
            public sealed partial class BadName : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }

            [ZooPlugin("quiet")]
            public sealed partial class Undescribed : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }

            /// <summary>first</summary>
            [ZooPlugin("twin")]
            public sealed partial class TwinA : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }

            /// <summary>second</summary>
            [ZooPlugin("twin")]
            public sealed partial class TwinB : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }
            """;
        var (run, _) = Run(configs, plugins);
        Describe(run.Diagnostics).ShouldMatchApproved(c => c.NoDiff());
        var ids = run.Diagnostics.Select(d => d.Id).ToHashSet();
        for (int i = 1; i <= 13; i++) ids.ShouldContain($"ZOO{i:000}");
    }

    /// <summary>A ZOO error on a plugin class is the only error its author sees: its Name and Description are still generated (no CS0534), and it is not registered.</summary>
    [Fact]
    public void A_zoo_error_on_a_plugin_comes_without_follow_on_compiler_errors()
    {
        const string source = """
            using Zoo.Core.Configuration;
            using Zoo.Core.Plugins;

            [ZooConfig]
            public sealed partial record OkConfig;

            /// <summary>bad name</summary>
            [ZooPlugin("Beta_VAE")]
            public sealed partial class BadName : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }

            [ZooPlugin("quiet")]
            public sealed partial class Undescribed : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }

            /// <summary>fine</summary>
            [ZooPlugin("fine")]
            public sealed partial class Fine : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }
            """;
        var (run, output) = Run(source);
        // (ZOO010, a config that is no [ZooConfig] record, still comes with the base class's own CS0311: its constraint.)
        run.Diagnostics.Select(d => d.Id).Order().ShouldBe(["ZOO005", "ZOO007"]);
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).Select(d => d.Id).ShouldBeEmpty();
        run.Source("ZooPluginRegistration.g.cs").ShouldContain("\"prior fine\"");
        run.Source("ZooPluginRegistration.g.cs").ShouldNotContain("quiet");
    }

    /// <summary>
    /// ZOO005 names the fix that works for what it is on, and each fix it names clears it: a plugin class takes
    /// [ZooPlugin(Description = ...)] or a doc comment ([Description] on the class is not read); a key takes
    /// [Description] or a doc comment.
    /// </summary>
    [Theory]
    [InlineData("[Description(\"ignored\")]", "", true)]
    [InlineData("", "", true)]
    [InlineData("", ", Description = \"a quiet prior\"", false)]
    [InlineData("/// <summary>a quiet prior</summary>", "", false)]
    public void ZOO005_on_a_plugin_class_advises_the_ZooPlugin_description_or_a_summary(string above, string named, bool undocumented)
    {
        var source = $$"""
            using System.ComponentModel;
            using Zoo.Core.Configuration;
            using Zoo.Core.Plugins;

            [ZooConfig]
            public sealed partial record OkConfig;

            {{above}}
            [ZooPlugin("quiet"{{named}})]
            public sealed partial class Quiet : PriorPlugin<OkConfig> { protected override IPrior Create(OkConfig c) => null!; }
            """;
        var (run, _) = Run(source);
        Describe(run.Diagnostics).ShouldBe(undocumented
            ? "ZOO005 Spec0.cs(10,29): 'Quiet' has no description; write [ZooPlugin(\"quiet\", Description = \"...\")] or a /// <summary> " +
              "above the class ([Description] is not read on a plugin class) (`zoo list` shows it)"
            : "");
    }

    [Theory]
    [InlineData("", true)]
    [InlineData("[Description(\"latent dimensions\")]", false)]
    [InlineData("/// <summary>latent dimensions</summary>", false)]
    public void ZOO005_on_a_config_key_advises_Description_or_a_summary(string above, bool undocumented)
    {
        var source = $$"""
            using System.ComponentModel;
            using Zoo.Core.Configuration;

            [ZooConfig]
            public sealed partial record KeyConfig
            {
                {{above}}
                public int Latent { get; init; } = 2;
            }
            """;
        var (run, _) = Run(source);
        Describe(run.Diagnostics).ShouldBe(undocumented
            ? "ZOO005 Spec0.cs(8,16): 'Latent' has no description; add [Description(\"...\")] (System.ComponentModel) or a /// <summary> " +
              "above the property (`zoo list` shows it)"
            : "");
    }

    [Fact]
    public void A_part_of_a_type_that_is_no_part_family_is_ZOO002()
    {
        const string source = """
            using System.ComponentModel;
            using Zoo.Core.Configuration;
            using Zoo.Core.Plugins;

            public interface IOwnPlugin : IPlugin { }

            [ZooConfig]
            public sealed partial record PartsConfig
            {
                [Description("a callback is a plugin, but no part")] public Part<ICallbackPlugin> Callback { get; init; } = "metrics-file";
                [Description("not a family")] public Part<IOwnPlugin> Own { get; init; } = "own";
                [Description("a fine part")] public Part<IPriorPlugin> Prior { get; init; } = "standard-normal";
                [Description("latent")] public int Latent { get; init; } = 2;
            }
            """;
        var (run, output) = Run(source);
        Describe(run.Diagnostics).ShouldBe(string.Join("\n",
            "ZOO002 Spec0.cs(10,65): Hyperparameter 'Callback' has type 'Zoo.Core.Plugins.Part<Zoo.Core.Plugins.ICallbackPlugin>'; supported: int, long, " +
            "double, bool, string, enums, int[] and Part<T> of a part family (ILikelihoodPlugin, IPriorPlugin, IEncoderPlugin, IDecoderPlugin, IDataPlugin, IModelPlugin)",
            "ZOO002 Spec0.cs(11,42): Hyperparameter 'Own' has type 'Zoo.Core.Plugins.Part<IOwnPlugin>'; supported: int, long, " +
            "double, bool, string, enums, int[] and Part<T> of a part family (ILikelihoodPlugin, IPriorPlugin, IEncoderPlugin, IDecoderPlugin, IDataPlugin, IModelPlugin)"));
        // The other keys are still generated; the unsupported ones are no keys.
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ShouldBeEmpty();
        var generated = run.Source("PartsConfig.Config.g.cs");
        generated.ShouldContain("new(\"prior\", global::Zoo.Core.Plugins.PluginKind.Prior, false,");
        generated.ShouldNotContain("\"callback\"");
        generated.ShouldNotContain("\"own\"");
    }

    [Fact]
    public void An_edit_outside_the_specs_leaves_every_step_cached()
    {
        var compilation = Compile(Config, Plugins, "namespace Other; public class Unrelated { }");
        var driver = Driver().RunGenerators(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int Added; }", Parse, path: "Spec2.cs"));
        var steps = driver.RunGenerators(edited).GetRunResult().Results.Single().TrackedSteps;
        foreach (var name in new[] { ZooGenerator.Steps.ParseConfigs, ZooGenerator.Steps.Configs, ZooGenerator.Steps.ParsePlugins,
                     ZooGenerator.Steps.Plugins, ZooGenerator.Steps.Registration })
        {
            steps.ShouldContainKey(name);
            steps[name].SelectMany(s => s.Outputs).Select(o => o.Reason)
                .ShouldAllBe(r => r == IncrementalStepRunReason.Cached || r == IncrementalStepRunReason.Unchanged, name);
        }
    }

    [Fact]
    public void An_edit_inside_a_spec_regenerates_it()
    {
        var compilation = Compile(Config);
        var driver = Driver().RunGenerators(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(Config.Replace("[Description(\"latent dimensions\")]", "[Description(\"latent units\")]"), Parse, path: "Spec0.cs"));
        var result = driver.RunGenerators(edited).GetRunResult();
        result.Results.Single().TrackedSteps[ZooGenerator.Steps.Configs].SelectMany(s => s.Outputs).Select(o => o.Reason)
            .ShouldContain(IncrementalStepRunReason.Modified);
        result.Source("Demo.Models.DemoVaeConfig.Config.g.cs").ShouldContain("\"latent units\"");
    }
}
