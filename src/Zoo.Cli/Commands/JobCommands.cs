using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Hosting;
using Zoo.Hosting.Jobs;
using Zoo.Hosting.PluginLoading;
using Zoo.Torch;
using Zoo.Web;
using Zoo.Web.Security;

namespace Zoo.Cli.Commands;

/// <summary>`zoo serve`, `zoo submit`, `zoo jobs`, `zoo cancel`, `zoo logs`: the background training service and its folder queue.</summary>
internal static class JobCommands
{
    /// <summary>
    /// Runs the job service until Ctrl+C or SIGTERM (running jobs checkpoint first): a Generic Host, or with
    /// <paramref name="urls"/> a web host that also serves the HTTP API and the dashboard (<see cref="ZooWeb"/>).
    /// </summary>
    public static int Serve(ZooHome home, int maxConcurrency, IReadOnlyList<string>? urls = null, string? tokenFile = null, TextWriter? stdout = null)
    {
        using var startup = LoggerFactory.Create(b => b.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; }));
        void Runtime(IServiceCollection services)
        {
            services.AddZoo(home, startup.CreateLogger("Zoo.Plugins"));
            services.AddZooJobService(o => o.MaxConcurrency = maxConcurrency);
        }
        void Logging(ILoggingBuilder logging)
        {
            logging.ClearProviders();
            logging.AddSimpleConsole(o => { o.SingleLine = true; o.TimestampFormat = "yyyy-MM-dd HH:mm:ss "; });
            // The host would also log a fault with its stack trace; the service logs it in one line and the exit code carries it.
            logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.None);
        }
        IHost host;
        if (urls is { Count: > 0 })
        {
            var web = ZooWeb.Build(new WebServeOptions { Urls = urls, Token = ApiAccess.ResolveToken(tokenFile) }, Runtime, Logging);
            web.Lifetime.ApplicationStarted.Register(() =>
                (stdout ?? Console.Out).WriteLine($"zoo serve: dashboard and API at {string.Join(", ", web.Urls)} (OpenAPI: /openapi/v1.json)"));
            host = web;
        }
        else
        {
            var builder = Host.CreateApplicationBuilder();
            Logging(builder.Logging);
            Runtime(builder.Services);
            host = builder.Build();
        }
        using (host)
        {
            var service = host.Services.GetServices<IHostedService>().OfType<JobService>().Single(); // before Run, which disposes the host
            try { host.Run(); }
            catch (IOException e) when (e.InnerException is System.Net.Sockets.SocketException || e.Message.Contains("address already in use", StringComparison.OrdinalIgnoreCase))
            {
                throw new IOException($"--urls {string.Join(",", urls ?? [])}: cannot listen ({e.Message.Split('\n')[0]})");
            }
            // A job's failure is the job's; the service stopping on its own is not, and supervisors restart on non-zero.
            return service.Faulted is { } fault ? throw new InvalidOperationException($"zoo serve stopped: {fault}") : 0;
        }
    }

    public static int Submit(ZooHome home, string model, string[] settings, TextWriter stdout, int ranks = 1)
    {
        var pairs = ConfigText.ParseAssignments(settings);
        JobSpec spec;
        using (var services = ZooServices.Build(home))
            spec = JobSubmission.Check(services.GetRequiredService<PluginCatalog>(), model, pairs, ranks); // zoo train's binding and one-line errors, before anything is queued
        var id = new JobStore(home).Submit(spec);
        stdout.WriteLine($"submitted {id} ({model}); `zoo serve` runs it, `zoo jobs` shows it, results in {Path.Combine(home.Runs, id)}");
        return 0;
    }

    public static int Jobs(ZooHome home, TextWriter stdout) => PrintJobs(JobSummary.List(new JobStore(home)), $"no jobs in {home.Root}", stdout);

    /// <summary>The job table, for a local home or a remote service alike.</summary>
    public static int PrintJobs(IReadOnlyList<JobSummary> jobs, string none, TextWriter stdout)
    {
        if (jobs.Count == 0) { stdout.WriteLine(none); return 0; }
        // Each model names its bound (ELBO, IWAE-K5, WAE-MMD), so the figure carries the name.
        stdout.WriteLine($"{"id",-40} {"state",-12} {"epoch",5} {"test bound",18}  reason");
        foreach (var j in jobs)
            stdout.WriteLine($"{j.Id,-40} {j.State,-12} {(j.State == JobSummary.WaitingState ? "" : j.Epoch.ToString(CultureInfo.InvariantCulture)),5} " +
                             $"{(j.TestElbo is { } e ? $"{e.ToString("F2", CultureInfo.InvariantCulture)} {JobRecord.BoundOrElbo(j.Bound)}" : ""),18}  {j.Reason}");
        return 0;
    }

    public static int Cancel(ZooHome home, string id, TextWriter stdout)
    {
        stdout.WriteLine(new JobStore(home).Cancel(id).Message);
        return 0;
    }

    public static int Logs(ZooHome home, string id, bool follow, TextWriter stdout)
    {
        var store = new JobStore(home);
        if (store.Find(id) is null && store.Inbox().All(j => j.Id != id)) throw store.NotFound(id);
        long offset = 0;
        while (true)
        {
            var final = store.Find(id) is { IsFinal: true }; // before reading: the last line is written before the final state
            if (File.Exists(store.LogPath(id)))
            {
                using var f = new FileStream(store.LogPath(id), FileMode.Open, FileAccess.Read, FileShare.ReadWrite);
                f.Seek(offset, SeekOrigin.Begin);
                using var reader = new StreamReader(f);
                stdout.Write(reader.ReadToEnd());
                offset = f.Length;
            }
            if (!follow || final) return 0;
            Thread.Sleep(500);
        }
    }

    /// <summary>`zoo plugins`: what the plugins folder holds, loaded or skipped with the reason.</summary>
    public static int ListPlugins(ZooHome home, TextWriter stdout)
    {
        using var services = ZooServices.Build(home);
        var report = services.GetRequiredService<PluginLoadReport>();
        stdout.WriteLine($"plugin folder {home.Plugins}:");
        if (report.Loaded.Count + report.Skipped.Count == 0) stdout.WriteLine("  (empty; add one with `zoo plugins install PATH`)");
        foreach (var p in report.Loaded) stdout.WriteLine($"  loaded  {p.Path}: {string.Join(", ", p.Plugins)}");
        foreach (var p in report.Skipped) stdout.WriteLine($"  skipped {p.Path}: {p.Reason}");
        return 0;
    }

    /// <summary>
    /// `zoo plugins install PATH`: copies a plugin's build output (its folder, or its main .dll) into the plugins
    /// folder, leaving out the assemblies the host provides, after checking that it loads here. Staged in a temp
    /// folder and renamed into place, so a failed install leaves nothing behind.
    /// </summary>
    public static int Install(ZooHome home, string path, TextWriter stdout)
    {
        var main = File.Exists(path) ? Path.GetFullPath(path)
            : Directory.Exists(path) ? Directory.GetFiles(path, "*.deps.json").Select(d => d[..^".deps.json".Length] + ".dll").FirstOrDefault(File.Exists)
                ?? throw new ArgumentException($"{path}: no NAME.dll beside a NAME.deps.json (expected a plugin's build output, e.g. plugins/X/bin/Release/net10.0)")
            : throw new FileNotFoundException($"{path}: no such file or folder");
        var name = Path.GetFileNameWithoutExtension(main);
        var source = Path.GetDirectoryName(main)!;
        Directory.CreateDirectory(home.Plugins);
        var staging = Path.Combine(home.Plugins, $".{name}.tmp-{Environment.ProcessId}");
        var target = Path.Combine(home.Plugins, name);
        if (Directory.Exists(staging)) Directory.Delete(staging, true);
        Directory.CreateDirectory(staging);
        try
        {
            foreach (var file in Directory.GetFiles(source))
            {
                var fileName = Path.GetFileName(file);
                var stem = Path.GetFileNameWithoutExtension(fileName);
                if (stem != name && PluginLoadContext.IsHostAssembly(stem)) continue; // .dll, .pdb, .xml of assemblies the host has
                if (fileName == "libzoo_torch.so") continue; // the host's
                File.Copy(file, Path.Combine(staging, fileName));
            }
            var staged = Path.Combine(staging, name + ".dll");
            var services = new ServiceCollection();
            var taken = new HashSet<string>();
            // A broken neighbour provides nothing here: it is `zoo plugins`' business, not this install's.
            foreach (var other in PluginLoader.Folders(ZooServices.BuiltInFolder).Concat(PluginLoader.Folders(home.Plugins)).Where(d => Path.GetFileName(d) != name))
                taken.UnionWith(PluginLoader.Provides(other));
            IReadOnlyList<string> plugins;
            try { plugins = PluginLoader.LoadOne(services, staged, taken); }
            catch (Exception e) { throw new InvalidOperationException($"{main}: not installed: {PluginLoader.Reason(e)}"); }
            if ((InvalidDefaults(services) ?? BrokenContract(services, home, name)) is { } invalid) throw new InvalidOperationException($"{main}: not installed: {invalid}");
            var old = Directory.Exists(target) ? PluginLoader.MoveAside(target) : null;
            Directory.Move(staging, target);
            if (old is not null) Directory.Delete(old, true);
            stdout.WriteLine($"installed {name} into {target}: {string.Join(", ", plugins)}");
            return 0;
        }
        finally
        {
            if (Directory.Exists(staging)) Directory.Delete(staging, true);
        }
    }

    /// <summary>
    /// The first plugin of <paramref name="services"/> whose config is invalid as it comes (defaults set in a
    /// constructor escape the generator's compile-time range check): one line naming the plugin, the key and the value.
    /// </summary>
    public static string? InvalidDefaults(IServiceCollection services)
    {
        using var provider = services.BuildServiceProvider();
        foreach (var plugin in provider.GetServices<IPlugin>())
        {
            // A required key without a default (a data file's path) is the user's to give, not a bad default.
            var required = plugin.Config.Keys.Where(k => k.Default.Length == 0).Select(k => ConfigText.Missing(k.Name)).ToHashSet();
            var problems = plugin.Config.Validate(plugin.Config.Default()).Where(p => !required.Contains(p)).ToList();
            if (problems.Count > 0)
                return $"{plugin.Kind.ToString().ToLowerInvariant()} {plugin.Name}: its defaults are invalid: {string.Join("; ", problems)}";
        }
        return null;
    }

    /// <summary>
    /// The first plugin of <paramref name="services"/> that breaks its family's contract when called with its defaults
    /// (<see cref="PluginContract"/>), with the parts it names by default taken from the built-in and installed plugins
    /// (those of an earlier install of <paramref name="assemblyName"/> aside: this install replaces them).
    /// </summary>
    private static string? BrokenContract(IServiceCollection services, ZooHome home, string assemblyName)
    {
        using var staged = services.BuildServiceProvider();
        var plugins = staged.GetServices<IPlugin>().ToList();
        using var host = ZooServices.Build(home, TextWriter.Null);
        var others = host.GetRequiredService<PluginCatalog>().All.Where(p => p.GetType().Assembly.GetName().Name != assemblyName);
        var catalog = new PluginCatalog(others.Concat(plugins));
        return plugins.Select(p => PluginContract.Problem(p, catalog)).FirstOrDefault(p => p is not null);
    }

    /// <summary>
    /// `zoo plugins uninstall NAME`: removes a drop-in plugin folder from HOME/plugins. NAME is the folder
    /// `zoo plugins install` made (the assembly's name, e.g. Zoo.Plugins.MixturePrior) or a plugin it provides
    /// (gaussian-mixture, or "prior gaussian-mixture"); the whole assembly goes, with every plugin in it. Built-in
    /// plugins (beside zoo.dll) are refused. The folder is renamed aside, then deleted (<see cref="PluginLoader.Remove"/>).
    /// </summary>
    public static int Uninstall(ZooHome home, string name, TextWriter stdout)
    {
        var installed = PluginLoader.Folders(home.Plugins).Select(d => (Dir: d, Folder: Path.GetFileName(d), Plugins: PluginLoader.Provides(d))).ToList();
        var matches = installed.Where(i => i.Folder == name).ToList();
        if (matches.Count == 0) matches = installed.Where(i => Names(i.Plugins, name)).ToList();
        if (matches.Count > 1)
            throw new ArgumentException($"{Excerpt.Quote(name)} is provided by {string.Join(" and ", matches.Select(m => m.Folder))}; uninstall one by its folder name");
        if (matches.Count == 0)
        {
            foreach (var builtIn in PluginLoader.Folders(ZooServices.BuiltInFolder))
                if (Path.GetFileName(builtIn) == name || Names(PluginLoader.Provides(builtIn), name))
                    throw new InvalidOperationException($"{Excerpt.Quote(name)} is a built-in plugin ({Path.GetFileName(builtIn)}, beside zoo.dll), not a drop-in; " +
                                                        $"only plugins in {home.Plugins} can be uninstalled");
            var near = ConfigText.Nearest(name, installed.Select(i => i.Folder).Concat(installed.SelectMany(i => i.Plugins.Select(Short))));
            var hint = near is not null ? $"; did you mean '{near}'?"
                : installed.Count == 0 ? " (none is installed)"
                : "; installed: " + string.Join(", ", installed.Select(i => i.Plugins.Count == 0 ? i.Folder : $"{i.Folder} ({string.Join(", ", i.Plugins)})"));
            throw new ArgumentException($"no installed plugin {Excerpt.Quote(name)} in {home.Plugins}{hint}");
        }
        var (dir, folder, plugins) = matches[0];
        PluginLoader.Remove(dir);
        stdout.WriteLine($"uninstalled {folder} from {dir}" + (plugins.Count == 0 ? "" : $": {string.Join(", ", plugins)}"));
        return 0;

        // "prior gaussian-mixture" is named by itself and by gaussian-mixture.
        static string Short(string plugin) => plugin[(plugin.IndexOf(' ') + 1)..];
        static bool Names(IReadOnlyList<string> plugins, string name) => plugins.Any(p => p == name || Short(p) == name);
    }
}
