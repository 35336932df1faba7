using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Data;

/// <summary>
/// Images with integer labels, as float32 [N, C·H·W] pixels in [0, 1] (channel by channel: C = 1 grey, 3 RGB)
/// and int64 [N] labels. Images read from 8-bit files are held as their bytes (<see cref="Codes"/>, a quarter of the
/// floats' memory: 141 MB less for MNIST's training split) and widened when <see cref="Images"/> is first read; a
/// training run reads batches of the bytes instead (<see cref="Training.TrainingData.TrainBatch"/>).
/// The tensors belong to the dataset: dispose it when done.
/// </summary>
public sealed class ImageDataset : IDisposable
{
    public string Name { get; }
    public int Height { get; }
    public int Width { get; }
    /// <summary>Channels per pixel: 1 (grey) or 3 (RGB).</summary>
    public int Channels { get; }
    public Tensor Labels { get; }
    public int Count { get; }

    private Tensor? images;

    /// <summary>
    /// The examples as uint8 codes [N, D] when held so (else null): the first <see cref="EightBitColumns"/> columns are
    /// 8-bit pixels, the rest values as they are (0/1 flags of packed rows); <see cref="Widen"/> turns them into floats.
    /// </summary>
    public Tensor? Codes { get; }
    public int EightBitColumns { get; }

    /// <summary>The examples as float32 [N, D]; widened from <see cref="Codes"/> on first read, then kept.</summary>
    public Tensor Images => images ??= Widen(Codes!, EightBitColumns).DetachFromDisposeScope();

    private ImageDataset(string name, int height, int width, Tensor? images, Tensor labels, int channels = 1, Tensor? codes = null, int eightBitColumns = 0)
    {
        (Name, Height, Width, this.images, Labels, Channels, Codes, EightBitColumns) = (name, height, width, images, labels, channels, codes, eightBitColumns);
        Count = (int)(images ?? codes!).size(0);
    }

    /// <summary>
    /// The one rule for a split's size: at least one example (an empty split would train on nothing and evaluate to
    /// NaN). <paramref name="source"/> is the file that holds the examples, else the split's name.
    /// </summary>
    public static string? Empty(long count, string source) => count == 0 ? $"{source} holds 0 examples; a split needs at least one" : null;

    /// <summary>Loads an IDX image file [N, H, W] and its IDX label file [N], checking they agree.</summary>
    public static ImageDataset FromIdx(string name, string imagesPath, string labelsPath, int? height = 28, int? width = 28)
    {
        var images = Idx.Read(imagesPath);
        var labels = Idx.Read(labelsPath);
        if (images.Dims.Length != 3)
            throw new IdxFormatException(imagesPath, $"expected images with 3 dimensions [N, H, W], found [{string.Join(", ", images.Dims)}]");
        if (labels.Dims.Length != 1)
            throw new IdxFormatException(labelsPath, $"expected labels with 1 dimension [N], found [{string.Join(", ", labels.Dims)}]");
        if ((height is { } h && images.Dims[1] != h) || (width is { } w && images.Dims[2] != w))
            throw new IdxFormatException(imagesPath, $"expected {height}x{width} images, found {images.Dims[1]}x{images.Dims[2]}");
        if (Empty(images.Count, imagesPath) is { } empty) throw new InvalidDataException(empty);
        if (images.Count != labels.Count)
            throw new IdxFormatException(labelsPath, $"{labels.Count} labels for {images.Count} images in {imagesPath}");
        int n = images.Count, hw = images.Dims[1] * images.Dims[2];
        var lab = new long[n];
        var labelBytes = labels.Data.Span;
        for (int i = 0; i < n; i++) lab[i] = labelBytes[i];
        return FromCodes(name, images.Dims[1], images.Dims[2], tensor(images.Data.Span, [n, hw]).DetachFromDisposeScope(), tensor(lab).DetachFromDisposeScope(), hw);
    }

    /// <summary>The one rule for 8-bit values (0..255, of any dtype) as [0, 1] float32 pixels: IEEE division by 255.</summary>
    public static Tensor FromEightBit(Tensor values)
    {
        using var floats = values.to(float32);
        return floats / EightBitMax;
    }

    private const double EightBitMax = 255;

    /// <summary>
    /// uint8 codes as floats: the first <paramref name="eightBitColumns"/> columns as 8-bit pixels (<see cref="FromEightBit"/>'s
    /// division, in one native pass), the rest as the values they are; only rows <paramref name="through"/>[<paramref name="rows"/>[b]]
    /// when given (a training batch: no copy of the codes' rows first).
    /// </summary>
    public static Tensor Widen(Tensor codes, int eightBitColumns, Tensor? rows = null, Tensor? through = null) =>
        widen_rows(codes, eightBitColumns, EightBitMax, rows, through);

    /// <summary>A dataset over tensors made elsewhere (generated data): [N, C·H·W] pixels in [0, 1] and [N] int64 labels; it takes ownership.</summary>
    public static ImageDataset FromTensors(string name, int height, int width, Tensor images, Tensor labels, int channels = 1) =>
        new(name, height, width, images, labels, channels);

    /// <summary>A dataset over uint8 codes [N, D] (see <see cref="Codes"/>) and [N] int64 labels; it takes ownership.</summary>
    public static ImageDataset FromCodes(string name, int height, int width, Tensor codes, Tensor labels, int eightBitColumns, int channels = 1) =>
        new(name, height, width, null, labels, channels, codes, eightBitColumns);

    /// <summary>A dataset over the first <paramref name="n"/> examples (copies; for tests and quick runs).</summary>
    public ImageDataset Take(int n) => Slice(Name, 0, Math.Min(n, Count));

    /// <summary>A dataset named <paramref name="name"/> over <paramref name="count"/> examples from <paramref name="start"/> (copies).</summary>
    public ImageDataset Slice(string name, int start, int count)
    {
        using var scope = NewDisposeScope();
        var labels = Labels.narrow(0, start, count).clone().DetachFromDisposeScope();
        return Codes is not null
            ? FromCodes(name, Height, Width, Codes.narrow(0, start, count).clone().DetachFromDisposeScope(), labels, EightBitColumns, Channels)
            : new ImageDataset(name, Height, Width, Images.narrow(0, start, count).clone().DetachFromDisposeScope(), labels, Channels);
    }

    public void Dispose()
    {
        images?.Dispose();
        Codes?.Dispose();
        Labels.Dispose();
    }
}

/// <summary>How [0, 1] pixels become the model's input (seeds 003/004 threshold; stochastic is redrawn each epoch).</summary>
public enum Binarization { None, Threshold, Stochastic }

public static class Batches
{
    /// <summary>Applies a binarisation to a batch of [0, 1] pixels; Stochastic draws from <paramref name="gen"/>.</summary>
    public static Tensor Binarize(Tensor pixels, Binarization mode, Generator? gen = null) => mode switch
    {
        Binarization.None => pixels.alias(),
        Binarization.Threshold => Threshold(pixels),
        Binarization.Stochastic => bernoulli(pixels, gen),
        _ => throw new ArgumentOutOfRangeException(nameof(mode), mode, null),
    };

    private static Tensor Threshold(Tensor pixels)
    {
        using var bits = ThresholdBits(pixels);
        return bits.to(float32);
    }

    /// <summary>The threshold (&gt; 0.5) as 0/1 bytes: a quarter of the memory of floats, widened exactly per batch.</summary>
    public static Tensor ThresholdBits(Tensor pixels)
    {
        using var mask = pixels.gt(0.5);
        return mask.to(ScalarType.Byte);
    }

    /// <summary>
    /// Index batches of a seeded permutation of 0..count-1 (the last one may be smaller). Each batch joins the
    /// caller's current dispose scope.
    /// </summary>
    public static IEnumerable<Tensor> Shuffled(int count, int batchSize, Generator gen)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), batchSize, "batch size must be at least 1");
        using var perm = randperm(count, gen).DetachFromDisposeScope();
        for (long start = 0; start < count; start += batchSize)
            yield return perm.narrow(0, start, Math.Min(batchSize, count - start));
    }
}
