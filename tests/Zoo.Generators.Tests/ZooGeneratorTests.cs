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
            }

            [ZooConfig]
            public sealed partial record PositionalConfig(int Latent);

            [ZooConfig]
            public sealed partial class ClassConfig { }
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
