using System.Diagnostics;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Extensions.Logging;
using Zoo.Hosting;

namespace Zoo.Hosting.Tests;

/// <summary>A temporary ZOO_HOME, plugin builds for it, and a logger that keeps what it was told.</summary>
internal sealed class TestHome : IDisposable
{
    public ZooHome Home { get; } = new(Path.Combine(Path.GetTempPath(), "zoo-home-" + Guid.NewGuid().ToString("N")[..8]));

    public TestHome() => Directory.CreateDirectory(Home.Root);

    public void Dispose()
    {
        try { Directory.Delete(Home.Root, true); } catch (IOException) { }
    }

    public static string RepoRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Zoo.sln"))) return dir.FullName;
        throw new DirectoryNotFoundException("Zoo.sln not found above " + AppContext.BaseDirectory);
    }

    /// <summary>
    /// The example drop-in plugin's build output (the gaussian-mixture prior; same configuration as these tests),
    /// copied in as `zoo plugins install` lays it out.
    /// </summary>
    /// <summary>The example plugin's build output (built with the solution).</summary>
    public static string MixturePriorBuild =>
        Path.Combine(RepoRoot(), "plugins", MixturePrior, "bin", AppContext.BaseDirectory.Contains("/Debug/") ? "Debug" : "Release", "net10.0");

    public void InstallMixturePrior()
    {
        var build = MixturePriorBuild;
        // Staged in a hidden folder and renamed into place whole, as `zoo plugins install` does: a running service
        // never sees half a plugin.
        var staging = Path.Combine(Home.Plugins, "." + MixturePrior + ".staging");
        Directory.CreateDirectory(staging);
        foreach (var f in new[] { MixturePrior + ".dll", MixturePrior + ".deps.json" })
            File.Copy(Path.Combine(build, f), Path.Combine(staging, f));
        Directory.Move(staging, Path.Combine(Home.Plugins, MixturePrior));
    }

    public const string MixturePrior = "Zoo.Plugins.MixturePrior";

    /// <summary>A run's metrics.csv (written by the metrics-file callback of the built-in reporting plugin, which these tests do not reference).</summary>
    public static string MetricsPath(string runDir) => Path.Combine(runDir, "metrics.csv");

    /// <summary>`zoo serve --home HOME` as a process of its own (what a kill or a second process needs); its stdout lines go to <paramref name="output"/>.</summary>
    public static System.Diagnostics.Process Serve(ZooHome home, List<string>? output = null)
    {
        var psi = new System.Diagnostics.ProcessStartInfo("dotnet", [Path.Combine(AppContext.BaseDirectory, "zoo.dll"), "serve", "--home", home.Root])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        var p = System.Diagnostics.Process.Start(psi)!;
        p.OutputDataReceived += (_, e) => { if (output is not null && e.Data is { } line) lock (output) output.Add(line); };
        p.ErrorDataReceived += (_, _) => { };
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
        return p;
    }

    private static readonly MetadataReference[] References =
    [
        .. ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => Path.GetFileName(p).StartsWith("System.") || Path.GetFileName(p) is "mscorlib.dll" or "netstandard.dll"
                        or "Zoo.Core.dll" or "Microsoft.Extensions.DependencyInjection.Abstractions.dll")
            .Select(p => MetadataReference.CreateFromFile(p)),
    ];

    /// <summary>Compiles <paramref name="source"/> into HOME/plugins/NAME/NAME.dll (plus extra references), as a broken or odd plugin.</summary>
    public void AddPlugin(string name, string source, params MetadataReference[] extra)
    {
        var dir = Path.Combine(Home.Plugins, name);
        Directory.CreateDirectory(dir);
        var result = Compile(name, source, extra).Emit(Path.Combine(dir, name + ".dll"));
        result.Success.ShouldBeTrue(string.Join("\n", result.Diagnostics));
    }

    public static CSharpCompilation Compile(string name, string source, params MetadataReference[] extra) =>
        CSharpCompilation.Create(name, [CSharpSyntaxTree.ParseText(source)], [.. References, .. extra],
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary));
}

internal sealed class ListLogger : ILogger
{
    public List<string> Lines { get; } = [];

    /// <summary>The lines so far, taken under the lock the writers hold (the service logs from its job threads).</summary>
    public string[] Snapshot() { lock (Lines) return Lines.ToArray(); }
    public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;
    public bool IsEnabled(LogLevel level) => true;
    public void Log<TState>(LogLevel level, EventId id, TState state, Exception? e, Func<TState, Exception?, string> formatter)
    {
        lock (Lines) Lines.Add($"{level}: {formatter(state, e)}");
    }
}
