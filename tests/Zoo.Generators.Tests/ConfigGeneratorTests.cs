using System.Collections.Immutable;
using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Zoo.Core.Configuration;
using Zoo.Generators;

namespace Zoo.Generators.Tests;

/// <summary>
/// The config generator on in-memory compilations. Generated source and diagnostics are approved-file snapshots
/// (Shouldly's ShouldMatchApproved; see README "Snapshot tests" to review and accept changes).
/// </summary>
public class ConfigGeneratorTests
{
    private static readonly MetadataReference[] References =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.") || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => MetadataReference.CreateFromFile(p)),
        MetadataReference.CreateFromFile(typeof(ZooConfigAttribute).Assembly.Location),
    ];

    private static readonly CSharpParseOptions Parse = new(LanguageVersion.Preview);

    private static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create("Specs",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, Parse, path: $"Spec{i}.cs")), References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    private static GeneratorDriver Driver() => CSharpGeneratorDriver.Create([new ConfigGenerator().AsSourceGenerator()],
        parseOptions: Parse, driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    private static (GeneratorDriverRunResult Run, Compilation Output) RunGenerator(params string[] sources)
    {
        var driver = Driver().RunGeneratorsAndUpdateCompilation(Compile(sources), out var output, out _);
        return (driver.GetRunResult(), output);
    }

    private const string Representative = """
        using System.ComponentModel;
        using System.ComponentModel.DataAnnotations;
        using Zoo.Core.Configuration;

        namespace Demo.Models;

        public enum KlEstimator { Analytic, MonteCarlo }

        /// <summary>A representative spec: every supported type, ranges, allowed values, an enum, a list.</summary>
        [ZooConfig]
        public sealed partial record DemoVaeConfig
        {
            [Description("data set")]
            [AllowedValues("mnist", "fashion-mnist")]
            public string Dataset { get; init; } = "mnist";

            [Description("hidden layer sizes, input side first")]
            [Range(1, 65536)]
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
        }
        """;

    [Fact]
    public void Generated_source_of_a_representative_spec()
    {
        var (run, output) = RunGenerator(Representative);
        run.Diagnostics.ShouldBeEmpty();
        output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ShouldBeEmpty();
        var generated = run.Results.Single().GeneratedSources.Single();
        generated.HintName.ShouldBe("Demo.Models.DemoVaeConfig.Config.g.cs");
        generated.SourceText.ToString().ShouldMatchApproved(c => c.NoDiff().WithFileExtension("cs.txt"));
    }

    [Fact]
    public void The_generated_key_table_matches_the_reflection_schema_of_the_same_record()
    {
        // The table the generator writes for a record equals what Zoo.Core's ConfigSchema reads from it at run time.
        var (run, _) = RunGenerator(Representative.Replace("namespace Demo.Models;", "namespace Zoo.Generators.Tests;"));
        var text = run.Results.Single().GeneratedSources.Single().SourceText.ToString();
        foreach (var key in ConfigSchema.For<Mirror>().Keys)
            text.ShouldContain($"new(\"{key.Name}\", \"{key.TypeName}\", \"{key.Default}\", \"{key.Description}\", " +
                               $"{(key.Range is null ? "null" : $"\"{key.Range}\"")}, " +
                               $"{(key.Allowed is null ? "null" : "[" + string.Join(", ", key.Allowed.Select(a => $"\"{a}\"")) + "]")}),");
    }

    [Fact]
    public void Authoring_mistakes_are_reported_with_ids_and_locations()
    {
        const string mistakes = """
            using System.ComponentModel;
            using System.ComponentModel.DataAnnotations;
            using Zoo.Core.Configuration;

            [ZooConfig]
            public sealed record NotPartialConfig
            {
                [Description("x")] public int X { get; init; }
            }

            [ZooConfig]
            public sealed partial record BadConfig
            {
                [Description("a dictionary")] public System.Collections.Generic.Dictionary<string, int> Map { get; init; } = new();
                [Description("latent")][Range(1, 10)] public int Latent { get; init; } = 20;
                [Description("hidden")][Range(1, 100)] public int[] Hidden { get; init; } = [50, 500];
                public int Undocumented { get; init; }
                [Description("first")] public int MaxLR { get; init; }
                [Description("second")] public int MaxLr { get; init; }
            }
            """;
        var (run, _) = RunGenerator(mistakes);
        var lines = run.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start)
            .Select(d => d.Location.GetLineSpan().StartLinePosition)
            .Zip(run.Diagnostics.OrderBy(d => d.Location.SourceSpan.Start), (at, d) => $"{d.Id} ({at.Line + 1},{at.Character + 1}): {d.GetMessage()}");
        string.Join("\n", lines).ShouldMatchApproved(c => c.NoDiff());
    }

    [Fact]
    public void An_edit_outside_the_spec_leaves_its_steps_cached()
    {
        var compilation = Compile(Representative, "namespace Other; public class Unrelated { }");
        var driver = Driver().RunGenerators(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Last(),
            CSharpSyntaxTree.ParseText("namespace Other; public class Unrelated { public int Added; }", Parse, path: "Spec1.cs"));
        var steps = driver.RunGenerators(edited).GetRunResult().Results.Single().TrackedSteps;
        foreach (var name in new[] { ConfigGenerator.Steps.Parse, ConfigGenerator.Steps.Specs })
            steps[name].SelectMany(s => s.Outputs).Select(o => o.Reason)
                .ShouldAllBe(r => r == IncrementalStepRunReason.Cached || r == IncrementalStepRunReason.Unchanged, name);
    }

    [Fact]
    public void An_edit_inside_the_spec_regenerates_it()
    {
        var compilation = Compile(Representative);
        var driver = Driver().RunGenerators(compilation);
        var edited = compilation.ReplaceSyntaxTree(compilation.SyntaxTrees.Single(),
            CSharpSyntaxTree.ParseText(Representative.Replace("= 20;", "= 32;"), Parse, path: "Spec0.cs"));
        var result = driver.RunGenerators(edited).GetRunResult();
        result.Results.Single().TrackedSteps[ConfigGenerator.Steps.Specs].SelectMany(s => s.Outputs).Select(o => o.Reason)
            .ShouldContain(IncrementalStepRunReason.Modified);
        result.Results.Single().GeneratedSources.Single().SourceText.ToString().ShouldContain("\"latent\", \"int\", \"32\"");
    }

    public enum KlEstimator { Analytic, MonteCarlo }

    /// <summary>The representative spec compiled into this assembly, for the reflection comparison.</summary>
    public sealed record Mirror
    {
        [Description("data set")][AllowedValues("mnist", "fashion-mnist")] public string Dataset { get; init; } = "mnist";
        [Description("hidden layer sizes, input side first")][Range(1, 65536)] public int[] Hidden { get; init; } = [500, 500];
        [Description("latent dimensions")][Range(1, 4096)] public int Latent { get; init; } = 20;
        [Description("Adam learning rate")][Range(1e-7, 1.0)] public double LearningRate { get; init; } = 1e-3;
        [Description("KL term")] public KlEstimator Kl { get; init; } = KlEstimator.MonteCarlo;
        [Description("seed")] public long Seed { get; init; }
        [Description("stop early when the test ELBO stalls")] public bool EarlyStop { get; init; } = true;
    }
}
