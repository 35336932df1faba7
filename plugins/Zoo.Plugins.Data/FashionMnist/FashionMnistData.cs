using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Data.FashionMnist;

[ZooConfig]
public sealed partial record FashionMnistConfig : ExamplesConfig;

/// <summary>Fashion-MNIST from Debian's dataset-fashion-mnist (gzipped IDX; ZOO_FASHION_MNIST_DIR overrides the folder).</summary>
[ZooPlugin("fashion-mnist", Description = "Fashion-MNIST clothes: 60,000 + 10,000 grey 28×28 images, 10 classes (Debian dataset-fashion-mnist)")]
public sealed partial class FashionMnistData : DataPlugin<FashionMnistConfig>
{
    public static string Dir() => Environment.GetEnvironmentVariable("ZOO_FASHION_MNIST_DIR") ?? "/usr/share/datasets/fashion-mnist";

    protected override TrainingData Load(FashionMnistConfig config, DataRequest request)
    {
        var (train, test) = IdxSplits.LoadBoth("fashion-mnist", Dir(), ".gz", "install it with scripts/setup.sh (apt-get install dataset-fashion-mnist)");
        return config.Examples(train, test, request, classes: 10, standardValidation: 10_000);
    }
}
