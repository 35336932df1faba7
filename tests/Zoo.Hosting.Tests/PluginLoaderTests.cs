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
    public void A_dropped_in_assembly_is_discovered_and_its_model_resolves_by_name()
    {
        using var t = new TestHome();
        t.InstallMixtureVae();
        var log = new ListLogger();
        using var sp = new ServiceCollection().AddZoo(t.Home, log).BuildServiceProvider();
        var report = sp.GetRequiredService<PluginLoadReport>();
        report.Skipped.ShouldBeEmpty();
        report.Loaded.Single().Plugins.ShouldBe(["model mixture-vae", "prior gaussian-mixture"]);
        var catalog = sp.GetRequiredService<PluginCatalog>();
        var model = catalog.Model("mixture-vae");
        // Loaded in its own context, yet its contract types are the host's.
        System.Runtime.Loader.AssemblyLoadContext.GetLoadContext(model.GetType().Assembly)!.Name.ShouldBe("Zoo.Plugins.MixtureVae");
        typeof(IPlugin).Assembly.ShouldBeSameAs(model.GetType().GetInterfaces().First(i => i.Name == "IPlugin").Assembly);
        var config = model.Config.Bind([new("latent", "2")], "t");
        using var gen = new Zoo.Torch.torch.Generator(0);
        using var vae = model.Create(config, new DataShape(784, 28, 28, 10), gen);
        vae.LatentDim.ShouldBe(2);
        log.Lines.ShouldContain(l => l.Contains("Loaded plugin assembly") && l.Contains("mixture-vae"));
    }

    [Fact]
    public void Broken_plugins_are_skipped_with_their_path_and_reason_and_the_others_still_load()
    {
        using var t = new TestHome();
        t.InstallMixtureVae();
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
        report.Loaded.Select(l => Path.GetFileName(l.Path)).ShouldBe(["Zoo.Plugins.MixtureVae.dll"]);
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
        sp.GetRequiredService<PluginCatalog>().OfKind(PluginKind.Model).Select(p => p.Name).ShouldBe(["bernoulli-vae", "gaussian-vae", "mixture-vae", "vfae"]);
    }
}
