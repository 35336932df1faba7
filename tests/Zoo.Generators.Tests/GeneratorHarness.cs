using System.Reflection;
using System.Runtime.Loader;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;

namespace Zoo.Generators.Tests;

/// <summary>Runs <see cref="ZooGenerator"/> on in-memory compilations that reference the real contracts (Zoo.Core).</summary>
internal static class GeneratorHarness
{
    private static readonly MetadataReference[] References =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.") || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll")
            .Select(p => MetadataReference.CreateFromFile(p)),
        MetadataReference.CreateFromFile(typeof(ZooConfigAttribute).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Zoo.Torch.torch).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(IServiceCollection).Assembly.Location),
        MetadataReference.CreateFromFile(typeof(Microsoft.Extensions.Configuration.IConfiguration).Assembly.Location),
    ];

    public static readonly CSharpParseOptions Parse = new(LanguageVersion.Preview);

    public static CSharpCompilation Compile(params string[] sources) => CSharpCompilation.Create("Demo.Plugins",
        sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, Parse, path: $"Spec{i}.cs")), References,
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver Driver() => CSharpGeneratorDriver.Create([new ZooGenerator().AsSourceGenerator()],
        parseOptions: Parse, driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static (GeneratorDriverRunResult Run, Compilation Output) Run(params string[] sources)
    {
        var driver = Driver().RunGeneratorsAndUpdateCompilation(Compile(sources), out var output, out _);
        return (driver.GetRunResult(), output);
    }

    public static string Source(this GeneratorDriverRunResult run, string hintName) =>
        run.Results.Single().GeneratedSources.Single(s => s.HintName == hintName).SourceText.ToString();

    /// <summary>Diagnostics as "ZOO00N (line,col): message", in source order.</summary>
    public static string Describe(IEnumerable<Diagnostic> diagnostics) => string.Join("\n", diagnostics
        .OrderBy(d => d.Location.GetLineSpan().Path).ThenBy(d => d.Location.SourceSpan.Start)
        .Select(d =>
        {
            var at = d.Location.GetLineSpan();
            return $"{d.Id} {Path.GetFileName(at.Path)}({at.StartLinePosition.Line + 1},{at.StartLinePosition.Character + 1}): {d.GetMessage()}";
        }));

    /// <summary>The compilation with its generated code, emitted and loaded (collectible), so tests can run what was generated.</summary>
    public static Assembly Load(Compilation output)
    {
        using var pe = new MemoryStream();
        var emit = output.Emit(pe);
        emit.Success.ShouldBeTrue(Describe(emit.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error)));
        pe.Position = 0;
        return new AssemblyLoadContext("generated", isCollectible: true).LoadFromStream(pe);
    }
}
