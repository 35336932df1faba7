using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Plugins;
using Zoo.Plugins.Encoders;
using Zoo.Plugins.Likelihoods;
using Zoo.Plugins.Priors;
using Zoo.Plugins.Vae;
using Zoo.Plugins.Vfae;

namespace Zoo.Plugins.Tests;

/// <summary>The built-in plugins in a DI container, as the CLI composes them.</summary>
internal static class Zoo
{
    public static ServiceProvider Services() => new ServiceCollection()
        .AddZooCore().AddZooPluginsLikelihoods().AddZooPluginsPriors().AddZooPluginsEncoders().AddZooPluginsVae().AddZooPluginsVfae().BuildServiceProvider();

    public static PluginCatalog Catalog(this ServiceProvider sp) => sp.GetRequiredService<PluginCatalog>();

    /// <summary>A small, fast bernoulli-vae config on a slice of real MNIST.</summary>
    public static object SmallConfig(IModelPlugin plugin, params string[] settings) => plugin.Config.Bind(
        new Dictionary<string, string>
        {
            ["train-limit"] = "600", ["test-limit"] = "200", ["hidden"] = "64", ["latent"] = "4", ["epochs"] = "3", ["batch-size"] = "50",
        }.Concat(settings.Select(s => new KeyValuePair<string, string>(s.Split('=')[0], s.Split('=')[1])))
         .GroupBy(kv => kv.Key).Select(g => g.Last()), "test");

    public static string TempDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "zoo-tests-" + Guid.NewGuid().ToString("N")[..8]);
        Directory.CreateDirectory(dir);
        return dir;
    }
}
