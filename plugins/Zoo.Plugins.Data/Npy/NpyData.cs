using System.ComponentModel;
using Zoo.Core.Configuration;
using Zoo.Core.Data.Arrays;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Data.Npy;

[ZooConfig]
public sealed partial record NpyConfig : ArrayFileConfig
{
    [Description(".npz: the array of examples (N×D or N×H×W); an array named ARRAY_test, if present, is the test split")]
    public string Array { get; init; } = "x";

    [Description(".npz: the array of integer labels (N), used when present; LABELS_test labels the test split")]
    public string LabelsArray { get; init; } = "labels";
}

/// <summary>A user's NumPy arrays: `dataset=faces.npy` or `dataset=digits.npz` picks it.</summary>
[ZooPlugin("npy", Description = "a user's NumPy .npy array or .npz archive (float or uint8, N×D or N×H×W; labels optional)")]
public sealed partial class NpyData : DataPlugin<NpyConfig>
{
    public override IReadOnlyList<string> FileExtensions => [".npy", ".npz"];

    protected override TrainingData Load(NpyConfig config, DataRequest request)
    {
        var path = config.Path;
        if (!path.EndsWith(".npz", StringComparison.OrdinalIgnoreCase))
            return config.Examples(path, NpyReader.Read(path), null, null, null, request);
        using var npz = NpzReader.Open(path);
        var x = npz.Read(config.Array);
        string testName = config.Array + "_test", labelsTestName = config.LabelsArray + "_test";
        long[]? Labels(string name) => npz.Contains(name) ? npz.Read(name).AsLabels($"{path}[{name}]") : null;
        return config.Examples(path, x, Labels(config.LabelsArray), npz.Contains(testName) ? npz.Read(testName) : null, Labels(labelsTestName), request);
    }
}
