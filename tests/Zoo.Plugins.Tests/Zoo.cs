using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Testing;

namespace Zoo.Plugins.Tests;

/// <summary>The built-in plugins in a DI container, as the CLI composes them (the drop-in gaussian-mixture prior aside).</summary>
internal static class Zoo
{
    /// <summary>The built-in plugins; <paramref name="more"/> adds others (a drop-in assembly, a test's own plugin).</summary>
    public static ServiceProvider Services(Action<IServiceCollection>? more = null)
    {
        var services = new ServiceCollection().AddZooBuiltInPlugins();
        more?.Invoke(services);
        return services.BuildServiceProvider();
    }

    public static PluginCatalog Catalog(this ServiceProvider sp) => sp.GetRequiredService<PluginCatalog>();

    /// <summary>"key=value" settings as pairs, in order (duplicates kept).</summary>
    public static List<KeyValuePair<string, string>> Pairs(params string[] settings) => [.. ConfigText.ParseAssignments(settings)];

    /// <summary>
    /// A small, fast run of <paramref name="model"/> on a slice of real MNIST (600 training and 200 test images,
    /// 64-unit networks, 4 latents, 3 epochs of batches of 50); <paramref name="settings"/> override these.
    /// </summary>
    public static RunConfig SmallRun(this PluginCatalog catalog, string model, params string[] settings)
    {
        string[] small =
        [
            "dataset.train-limit=600", "dataset.test-limit=200", "encoder.hidden=64", "decoder.hidden=64", "latent=4", "epochs=3", "batch-size=50",
        ];
        var given = Pairs(settings);
        var merged = Pairs(small).Where(kv => given.All(g => g.Key != kv.Key)).Concat(given);
        return RunConfig.Bind(model, merged, catalog);
    }

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zoo-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
