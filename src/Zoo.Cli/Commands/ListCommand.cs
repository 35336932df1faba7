using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Plugins;

namespace Zoo.Cli.Commands;

/// <summary>`zoo list`: every plugin by family, with its config keys, types, defaults, ranges and docs.</summary>
internal static class ListCommand
{
    public static int Run(TextWriter stdout)
    {
        using var services = ZooServices.Build();
        var catalog = services.GetRequiredService<PluginCatalog>();
        foreach (var kind in new[] { PluginKind.Model, PluginKind.Likelihood, PluginKind.Prior, PluginKind.Encoder })
        {
            stdout.WriteLine($"{PluginCatalog.Family(kind)}s:");
            foreach (var p in catalog.OfKind(kind))
            {
                stdout.WriteLine($"  {p.Name}: {p.Description}");
                foreach (var k in p.Config.Keys)
                {
                    var constraint = k.Range ?? (k.Allowed is { } a ? "{" + string.Join(", ", a) + "}" : "");
                    stdout.WriteLine($"    {k.Name,-16} {k.TypeName,-9} = {k.Default,-14} {constraint,-16} {k.Description}");
                }
            }
            stdout.WriteLine();
        }
        stdout.WriteLine("Set keys as key=value after the model name: zoo train bernoulli-vae epochs=5 latent=2");
        return 0;
    }
}
