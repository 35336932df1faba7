using Microsoft.CodeAnalysis;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Cli;
using Zoo.Core.Plugins;
using Zoo.Hosting.PluginLoading;

namespace Zoo.Hosting.Tests;

public class PluginLoaderTests
{
    private const string Registration = """
        using Microsoft.Extensions.DependencyInjection;
        [assembly: Zoo.Core.Plugins.ZooPluginAssembly(typeof(Reg))]
        public sealed class Reg : Zoo.Core.Plugins.IZooPluginRegistration
        {
            public System.Collections.Generic.IReadOnlyList<string> Plugins => new[] { "PLUGINS" };
            public void Register(IServiceCollection services) { BODY }
        }
        """;

    private static string Plugin(string plugins, string body = "") => Registration.Replace("PLUGINS", plugins).Replace("BODY", body);

    [Fact]
    public void A_dropped_in_assembly_is_discovered_and_its_prior_composes_into_a_vae_by_name()
    {
        using var t = new TestHome();
        t.InstallMixturePrior();
        var log = new ListLogger();
        using var sp = new ServiceCollection().AddZoo(t.Home, log).BuildServiceProvider();
        var report = sp.GetRequiredService<PluginLoadReport>();
        report.Skipped.ShouldBeEmpty();
        report.Loaded.Single().Plugins.ShouldBe(["prior gaussian-mixture"]);
        var catalog = sp.GetRequiredService<PluginCatalog>();
        var prior = catalog.Prior("gaussian-mixture");
        // Loaded in its own context, yet its contract types are the host's.
        System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(prior.GetType().Assembly)!.Name.ShouldBe(TestHome.MixturePrior);
        typeof(IPlugin).Assembly.ShouldBeSameAs(prior.GetType().GetInterfaces().First(i => i.Name == "IPlugin").Assembly);
        using (var scope = Zoo.Torch.torch.NewDisposeScope())
        using (var gen = new Zoo.Torch.torch.Generator(0))
        {
            var p = prior.Create(prior.Config.Bind([new("components", "4")], "t"));
            p.Sample(5, 2, gen).shape.ShouldBe([5L, 2]);
            p.AnalyticKl(new DiagonalGaussian(Zoo.Torch.torch.zeros(3, 2), Zoo.Torch.torch.zeros(3, 2))).ShouldBeNull();
        }

        // The built-in vae composes it by name, its keys as prior.KEY; the prior has no closed-form KL.
        var run = Zoo.Core.Runs.RunConfig.Bind("vae", [new("prior", "gaussian-mixture"), new("prior.components", "6"), new("kl", "monte-carlo"),
            new("latent", "2"), new("encoder.hidden", "16"), new("decoder.hidden", "16")], catalog);
        run.Values()["prior"].ShouldBe("gaussian-mixture");
        run.Values()["prior.components"].ShouldBe("6");
        using (var gen = new Zoo.Torch.torch.Generator(0))
        using (var vae = run.CreateModel(new DataShape(784, 28, 28, 10), gen))
            vae.LatentDim.ShouldBe(2);
        var analytic = Zoo.Core.Runs.RunConfig.Bind("vae", [new("prior", "gaussian-mixture"), new("latent", "2")], catalog);
        using (var gen = new Zoo.Torch.torch.Generator(0))
            Should.Throw<Zoo.Core.Configuration.ConfigException>(() => analytic.CreateModel(new DataShape(784, 28, 28, 10), gen))
                .Message.ShouldContain("prior 'gaussian-mixture' has no closed-form KL; set kl=monte-carlo");
        log.Lines.ShouldContain(l => l.Contains("Loaded plugin assembly") && l.Contains("prior gaussian-mixture"));

        // Without the drop-in the same settings name what is available instead.
        using var empty = new TestHome();
        using var bare = new ServiceCollection().AddZoo(empty.Home, new ListLogger()).BuildServiceProvider();
        Should.Throw<Zoo.Core.Configuration.ConfigException>(() => Zoo.Core.Runs.RunConfig.Bind("vae", [new("prior", "gaussian-mixture")],
                bare.GetRequiredService<PluginCatalog>()))
            .Message.ShouldContain("prior = 'gaussian-mixture': unknown prior; available: standard-normal");
    }

    [Fact]
    public void Broken_plugins_are_skipped_with_their_path_and_reason_and_the_others_still_load()
    {
        using var t = new TestHome();
        t.InstallMixturePrior();
        t.AddPlugin("Throws", Plugin("model thrower", "throw new System.InvalidOperationException(\"registration exploded\");"));
        t.AddPlugin("Duplicate", Plugin("model bernoulli-vae"));
        t.AddPlugin("NoMarker", "public class Nothing { public Zoo.Core.Plugins.PluginKind Kind; }");
        var dependency = TestHome.Compile("Missing.Dep", "namespace Missing { public static class Dep { public static void Touch() { } } }");
        using (var ms = new MemoryStream())
        {
            dependency.Emit(ms).Success.ShouldBeTrue();
            t.AddPlugin("NeedsDep", Plugin("model needs-dep", "Missing.Dep.Touch();"), MetadataReference.CreateFromImage(ms.ToArray()));
        }
        // Built against a Zoo.Core of another version: a stand-in "Zoo.Core" 9.9 whose type the plugin uses.
        var otherCore = TestHome.Compile("Zoo.Core", "[assembly: System.Reflection.AssemblyVersion(\"9.9.0.0\")] namespace Zoo.Core { public class Thing { } }");
        using (var ms = new MemoryStream())
        {
            otherCore.Emit(ms).Success.ShouldBeTrue();
            var plugin = TestHome.Compile("OldContract", "public class P { public Zoo.Core.Thing T = new(); }", MetadataReference.CreateFromImage(ms.ToArray()));
            var dir = Path.Combine(t.Home.Plugins, "OldContract");
            Directory.CreateDirectory(dir);
            plugin.RemoveReferences(plugin.References.Where(r => r.Display?.EndsWith("Zoo.Core.dll") == true)).Emit(Path.Combine(dir, "OldContract.dll")).Success.ShouldBeTrue();
        }
        Directory.CreateDirectory(Path.Combine(t.Home.Plugins, "Empty"));

        var log = new ListLogger();
        using var sp = new ServiceCollection().AddZoo(t.Home, log).BuildServiceProvider();
        var report = sp.GetRequiredService<PluginLoadReport>();
        report.Loaded.Select(l => Path.GetFileName(l.Path)).ShouldBe([TestHome.MixturePrior + ".dll"]);
        var reasons = report.Skipped.ToDictionary(s => Path.GetFileNameWithoutExtension(s.Path), s => s.Reason);
        reasons["Throws"].ShouldBe("InvalidOperationException: registration exploded");
        reasons["Duplicate"].ShouldBe("duplicate name: another plugin already registers model bernoulli-vae");
        reasons["NoMarker"].ShouldStartWith("no [assembly: ZooPluginAssembly] marker");
        reasons["NeedsDep"].ShouldStartWith("missing dependency: Missing.Dep");
        reasons["OldContract"].ShouldBe("built against Zoo.Core 9.9; this host has Zoo.Core 1.0");
        reasons["Empty"].ShouldStartWith("expected the plugin's build output with Empty.dll");
        foreach (var s in report.Skipped)
            log.Lines.ShouldContain(l => l.StartsWith("Warning: Skipped plugin assembly " + s.Path + ": " + s.Reason));
        // The catalog still works, with the built-ins and the good drop-in, and nothing from the broken ones.
        var catalog = sp.GetRequiredService<PluginCatalog>();
        catalog.OfKind(PluginKind.Model).Select(p => p.Name).ShouldBe(["bernoulli-vae", "gaussian-vae", "iwae", "vae", "vfae", "wae-mmd"]);
        catalog.OfKind(PluginKind.Prior).Select(p => p.Name).ShouldBe(["gaussian-mixture", "standard-normal", "vamp"]);
    }
}
