using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;

namespace Zoo.Cli.Commands;

/// <summary>
/// `zoo list`: the run's own keys (training and data), then every plugin by family with its config keys, types,
/// defaults, ranges and docs; a model's part keys choose a plugin of that family, whose keys are written PART.KEY.
/// </summary>
internal static class ListCommand
{
    public static int Run(TextWriter stdout)
    {
        using var services = ZooServices.Build();
        var catalog = services.GetRequiredService<PluginCatalog>();
        stdout.WriteLine("run keys (every model; dataset's own keys are dataset.KEY):");
        Keys(stdout, RunConfig.Schema.Keys.Where(k => k.Name != "model"));
        stdout.WriteLine();
        foreach (var kind in Enum.GetValues<PluginKind>())
        {
            stdout.WriteLine(kind == PluginKind.Data ? "data sets:" : $"{PluginCatalog.Family(kind)}s:");
            foreach (var p in catalog.OfKind(kind))
            {
                stdout.WriteLine($"  {p.Name}: {p.Description}");
                if (p is IModelPlugin { RunDefaults.Count: > 0 } model)
                    stdout.WriteLine($"    defaults: {string.Join(" ", model.RunDefaults.Select(kv => $"{kv.Key}={kv.Value}"))}");
                if (p is IDataPlugin { FileExtensions.Count: > 0 } data)
                    stdout.WriteLine($"    reads: dataset=PATH{string.Join("|", data.FileExtensions)}");
                Keys(stdout, p.Config.Keys);
            }
            stdout.WriteLine();
        }
        stdout.WriteLine("Set keys as key=value after the model name, a part's keys as PART.KEY=value:");
        stdout.WriteLine("  zoo train vae likelihood=gaussian likelihood.min-variance=0.001 encoder.hidden=200,200 dataset=fashion-mnist epochs=5");
        return 0;
    }

    private static void Keys(TextWriter stdout, IEnumerable<ConfigKey> keys)
    {
        foreach (var k in keys)
        {
            var constraint = k.Family is { } family ? $"{PluginCatalog.Family(family)} plugin"
                : k.Range ?? (k.Allowed is { } a ? "{" + string.Join(", ", a) + "}" : "");
            stdout.WriteLine($"    {k.Name,-22} {k.TypeName,-10} = {k.Default,-14} {constraint,-18} {k.Description}");
        }
    }
}
