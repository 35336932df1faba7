using Zoo.Core.Data;
using Zoo.Core.Training;

namespace Zoo.Plugins.Tests;

/// <summary>The trainer's keys alone: the trainer needs no run, model plugin or data set on disk.</summary>
internal sealed record TrainingKeys : TrainingConfig;

/// <summary>Data made in memory for the trainer's tests.</summary>
internal static class InMemoryData
{
    /// <summary>Small generated images: [N, 6·6] in [0, 1] with a bright row per class, and their labels.</summary>
    public static ImageDataset Stripes(string name, int n, ulong seed)
    {
        using var g = new Generator(seed);
        using var scope = NewDisposeScope();
        var labels = randint(0, 3, [n], g);
        var rows = nn.functional.one_hot(labels, 6).to(float32).unsqueeze(2).expand(n, 6, 6).reshape(n, 36);
        var images = (rows * 0.8 + rand([n, 36], g) * 0.2).clamp(0, 1);
        return ImageDataset.FromTensors(name, 6, 6, images.DetachFromDisposeScope(), labels.DetachFromDisposeScope());
    }
}
