using Zoo.Core.Configuration;
using Zoo.Core.Data.Arrays;
using Zoo.Core.Data.Images;
using Zoo.Core.Plugins;
using Zoo.Core.Training;

namespace Zoo.Plugins.Data.ImageFolder;

[ZooConfig]
public sealed partial record ImageFolderConfig : ArrayFileConfig;

/// <summary>
/// A folder of PNG images: `dataset=image-folder dataset.path=DIR`. The images sit in DIR itself (no labels) or in one
/// sub-folder per class (labels in the sub-folders' name order), all of one size and colour: 8-bit greyscale or RGB.
/// </summary>
[ZooPlugin("image-folder", Description = "a folder of 8-bit greyscale or RGB PNG images of one size (dataset.path=DIR); one sub-folder per class gives labels")]
public sealed partial class ImageFolderData : DataPlugin<ImageFolderConfig>
{
    protected override TrainingData Load(ImageFolderConfig config, DataRequest request)
    {
        var root = config.Path;
        if (File.Exists(root)) throw new ArrayFormatException(root, "is a file; dataset.path of image-folder names a folder of PNG images");
        if (!Directory.Exists(root)) throw new ArrayFormatException(root, "no such folder");
        static string[] Pngs(string dir) =>
            [.. Directory.EnumerateFiles(dir).Where(f => f.EndsWith(".png", StringComparison.OrdinalIgnoreCase)).Order(StringComparer.Ordinal)];
        var top = Pngs(root);
        var classes = Directory.EnumerateDirectories(root).Order(StringComparer.Ordinal).Where(d => Pngs(d).Length > 0).ToArray();
        if (top.Length > 0 && classes.Length > 0)
            throw new ArrayFormatException(root, $"holds PNG images both directly ({Path.GetFileName(top[0])}, …) and in class folders ({Path.GetFileName(classes[0])}/, …); use one or the other");
        var files = top.Length > 0 ? top.Select(f => (File: f, Label: 0L)).ToArray()
            : classes.SelectMany((d, i) => Pngs(d).Select(f => (File: f, Label: (long)i))).ToArray();
        if (files.Length == 0) throw new ArrayFormatException(root, "holds no .png images (directly or in class sub-folders)");

        // Every image must have the first one's size and colour: a row of the data set is C × H × W values.
        var first = Png.Read(files[0].File);
        int h = first.Height, w = first.Width, c = first.Channels, d = h * w * c;
        static string Colour(int channels) => channels == 1 ? "greyscale" : "RGB";
        var values = new float[(long)files.Length * d];
        for (int i = 0; i < files.Length; i++)
        {
            var image = i == 0 ? first : Png.Read(files[i].File);
            if ((image.Height, image.Width, image.Channels) != (h, w, c))
                throw new ArrayFormatException(files[i].File, $"{image.Width}×{image.Height} {Colour(image.Channels)}, " +
                                                              $"but {Path.GetFileName(files[0].File)} is {w}×{h} {Colour(c)}; every image must be the same");
            for (int j = 0; j < d; j++) values[(long)i * d + j] = image.Pixels[j];
        }
        // 8-bit pixels, channels interleaved as in the PNG: scaled to [0, 1] and laid out channel by channel like a uint8 array.
        var x = new NumericArray(c == 1 ? [files.Length, h, w] : [files.Length, h, w, c], values, "|u1");
        return config.Examples(root, x, classes.Length > 0 ? files.Select(f => f.Label).ToArray() : null, null, null, request);
    }
}
