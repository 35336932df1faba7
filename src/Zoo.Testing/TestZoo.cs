using System.Reflection;
using Microsoft.Extensions.DependencyInjection;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Core.Runs;
using Zoo.Core.Training;
using static Zoo.Torch.torch;

namespace Zoo.Testing;

/// <summary>
/// The plugins zoo would have: the built-in ones plus the plugin assemblies under test, each registered through its
/// generated [assembly: ZooPluginAssembly] marker exactly as the host registers a drop-in. <see cref="Train"/> runs a
/// brief training and checks it. Runs go to a temp folder that <see cref="Dispose"/> removes.
/// </summary>
public sealed class TestZoo : IDisposable
{
    private readonly ServiceProvider services;
    private int runs;
    private readonly Assembly[] underTest;

    /// <summary>The built-in plugins and those of <paramref name="pluginAssemblies"/> (typeof(MyPlugin).Assembly).</summary>
    public TestZoo(params Assembly[] pluginAssemblies)
    {
        var collection = new ServiceCollection().AddZooBuiltInPlugins();
        foreach (var assembly in pluginAssemblies) collection.AddZooPluginAssembly(assembly);
        services = collection.BuildServiceProvider();
        underTest = pluginAssemblies;
        Catalog = services.GetRequiredService<PluginCatalog>(); // a duplicate plugin name fails here, naming both
        RunRoot = Path.Combine(Path.GetTempPath(), "zoo-testing-" + Guid.NewGuid().ToString("N")[..8]);
    }

    /// <summary>Every plugin by family and name, as `zoo list` shows them.</summary>
    public PluginCatalog Catalog { get; }

    /// <summary>Where <see cref="Train"/> writes its runs (one sub-folder each); removed by <see cref="Dispose"/>.</summary>
    public string RunRoot { get; }

    /// <summary>
    /// The settings <see cref="Train"/> adds where a test gives none: two epochs of batches of 50, and, unless the test
    /// names a data set, 600 training and 200 test images of the generated noisy-halves (8×8, no files).
    /// </summary>
    public static IReadOnlyList<string> BriefDefaults { get; } = ["epochs=2", "batch-size=50"];

    /// <inheritdoc cref="BriefDefaults"/>
    public static IReadOnlyList<string> BriefData { get; } = ["dataset=noisy-halves", "dataset.train-limit=600", "dataset.test-limit=200"];

    /// <summary>
    /// Calls every plugin of the assemblies under test once with its default keys, as `zoo plugins install` does before
    /// it installs them (<see cref="PluginContract"/>): shapes, finite values, a model's scalar loss and gradients.
    /// </summary>
    public void CheckContracts()
    {
        foreach (var plugin in Catalog.All.Where(p => underTest.Contains(p.GetType().Assembly)))
            if (PluginContract.Problem(plugin, Catalog) is { } problem)
                throw new ZooCheckException($"`zoo plugins install` would refuse it: {problem}");
    }

    /// <summary>A run of <paramref name="model"/> bound as `zoo train MODEL key=value…` binds it: every problem at once, or a ConfigException.</summary>
    public RunConfig Bind(string model, params string[] settings) => RunConfig.Bind(model, ConfigText.ParseAssignments(settings), Catalog);

    /// <summary>
    /// Trains <paramref name="model"/> briefly with <paramref name="settings"/> (`likelihood=laplace`, `prior.scale=2`)
    /// over <see cref="BriefDefaults"/> and checks the plugins under test (<see cref="CheckContracts"/>) and the run: every epoch's figures finite, a checkpoint written, and the
    /// native tensors alive after the last epoch no more than after the first (a part that leaks a tensor per batch fails).
    /// </summary>
    public TrainingResult Train(string model, params string[] settings)
    {
        CheckContracts();
        var given = ConfigText.ParseAssignments(settings);
        var defaults = ConfigText.ParseAssignments(given.Any(kv => kv.Key == "dataset") ? BriefDefaults : [.. BriefDefaults, .. BriefData]);
        var run = RunConfig.Bind(model, [.. defaults.Where(d => given.All(g => g.Key != d.Key)), .. given], Catalog);
        var runDir = Path.Combine(RunRoot, $"{model}-{++runs}");
        SettledLiveTensors(); // the garbage of earlier code is freed now, not while the epochs are counted
        var result = run.Train(runDir, resume: false, callbacks: []);
        Check(result, model);
        return result;
    }

    private static void Check(TrainingResult result, string model)
    {
        if (result.Metrics.Count == 0) throw new ZooCheckException($"{model}: the run trained no epoch");
        foreach (var m in result.Metrics)
        {
            (string Name, double Value)[] figures =
            [
                ("train ELBO", m.TrainElbo), ("train reconstruction", m.TrainReconstruction), ("train KL", m.TrainKl), ("train loss", m.TrainLoss),
                ("test ELBO", m.TestElbo), ("test reconstruction", m.TestReconstruction), ("test KL", m.TestKl),
            ];
            foreach (var (name, value) in figures)
                if (!double.IsFinite(value)) throw new ZooCheckException($"{model}: epoch {m.Epoch}'s {name} is {value}");
        }
        if (!Directory.Exists(Path.Combine(result.RunDir, "checkpoint")))
            throw new ZooCheckException($"{model}: no checkpoint in {result.RunDir}");
        if (result.Metrics.Count > 1 && result.Metrics[^1].LiveTensors > result.Metrics[0].LiveTensors)
            throw new ZooCheckException($"{model}: {result.Metrics[0].LiveTensors} native tensors were alive after epoch 1 and " +
                                        $"{result.Metrics[^1].LiveTensors} after epoch {result.Metrics[^1].Epoch}: something leaks tensors every epoch");
    }

    /// <summary>Frees the plugins' container and removes <see cref="RunRoot"/>.</summary>
    public void Dispose()
    {
        services.Dispose();
        if (Directory.Exists(RunRoot)) Directory.Delete(RunRoot, recursive: true);
    }
}
