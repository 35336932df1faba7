using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Imaging;

/// <summary>The pictures users look at after training (seeds 001, 003, 004).</summary>
public static class ModelPictures
{
    /// <summary>A grid of <paramref name="count"/> images decoded from prior samples (the likelihood's mean).</summary>
    public static RgbImage Samples(IVaeModel model, DataShape shape, int count, Generator generator, int columns = 10)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var x = model.Sample(count, generator);
        return Pictures.Grid(Rows(x), shape.Height, shape.Width, columns, channels: shape.Channels);
    }

    /// <summary>
    /// Seed 000's generated digits for a decoder conditioned on s: the first row shows <paramref name="sources"/>
    /// (packed rows of test images); below each, <paramref name="perSource"/> pictures decoded from z ~ N(0, I) with
    /// that image's s, which the picture shows in place.
    /// </summary>
    public static RgbImage ConditionalSamples(IConditionalDecoder decoder, int latentDim, Tensor sources, DataShape shape, int perSource, Generator generator)
    {
        using var z = randn([perSource * sources.size(0), latentDim], generator);
        return DecodedUnderSources(decoder, z, sources, shape);
    }

    /// <summary>
    /// As <see cref="ConditionalSamples"/>, with z from the model's own prior given the class: row k holds class k
    /// (0 to classes − 1) under each source's s. Null when the model's prior has no class.
    /// </summary>
    public static RgbImage? ClassConditionalSamples(IConditionalDecoder decoder, int classes, Tensor sources, DataShape shape, Generator generator)
    {
        long n = sources.size(0);
        using var z = decoder.SampleGivenClass([.. Enumerable.Range(0, classes).SelectMany(k => Enumerable.Repeat((long)k, (int)n))], generator);
        return z is null ? null : DecodedUnderSources(decoder, z, sources, shape);
    }

    /// <summary>Sources on top; below, z's rows decoded in rows of n, column j with source j's s.</summary>
    private static RgbImage DecodedUnderSources(IConditionalDecoder decoder, Tensor z, Tensor sources, DataShape shape)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        long n = sources.size(0), perSource = z.size(0) / n;
        var rows = sources.unsqueeze(0).expand(perSource, n, sources.size(1)).reshape(perSource * n, sources.size(1));
        var pictures = decoder.Decode(z, rows).narrow(1, 0, shape.Dimensions);
        return Pictures.Grid([.. Rows(sources.narrow(1, 0, shape.Dimensions)), .. Rows(pictures)], shape.Height, shape.Width, (int)n, channels: shape.Channels);
    }

    /// <summary>
    /// Inputs and their reconstructions (decoded posterior means) in alternating rows of <paramref name="columns"/>.
    /// A decoder conditioned on s decodes with each input's own s; the pictures are the inputs' first
    /// <see cref="DataShape.Dimensions"/> columns.
    /// </summary>
    public static RgbImage Reconstructions(IVaeModel model, Tensor inputs, DataShape shape, int columns = 10)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var q = model.Encode(inputs);
        var recon = model is IConditionalDecoder conditional ? conditional.Decode(q.Mean, inputs) : model.Decode(q.Mean);
        var (a, b) = (Rows(inputs.narrow(1, 0, shape.Dimensions)), Rows(recon.narrow(1, 0, shape.Dimensions)));
        var tiles = new List<float[]>();
        for (int start = 0; start < a.Count; start += columns)
        {
            int n = Math.Min(columns, a.Count - start);
            tiles.AddRange(a.Skip(start).Take(n));
            if (n < columns) tiles.AddRange(Enumerable.Repeat(new float[shape.Dimensions], columns - n));
            tiles.AddRange(b.Skip(start).Take(n));
            if (n < columns) tiles.AddRange(Enumerable.Repeat(new float[shape.Dimensions], columns - n));
        }
        return Pictures.Grid(tiles, shape.Height, shape.Width, columns, channels: shape.Channels);
    }

    /// <summary>Posterior means of a 2-D latent, coloured by label (seed 003).</summary>
    public static RgbImage LatentScatter(Tensor means2d, Tensor labels)
    {
        var z = means2d.data<float>();
        var y = labels.data<long>();
        var points = new (double, double, int)[y.Length];
        for (int i = 0; i < y.Length; i++) points[i] = (z[2 * i], z[2 * i + 1], (int)y[i]);
        return Pictures.Scatter(points);
    }

    /// <summary>
    /// The decoded manifold of a 2-D latent: images decoded from an n×n grid over [−range, range]², z₁ rising to
    /// the right and z₂ rising upwards (seed 003).
    /// </summary>
    public static RgbImage Manifold(IVaeModel model, DataShape shape, int n = 20, double range = 3.0)
    {
        if (model.LatentDim != 2) throw new ArgumentException($"the manifold needs a 2-D latent, this model has {model.LatentDim} (train with latent=2)");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var grid = new float[n * n * 2];
        for (int r = 0; r < n; r++)
            for (int c = 0; c < n; c++)
            {
                grid[(r * n + c) * 2] = (float)(-range + 2 * range * c / (n - 1));
                grid[(r * n + c) * 2 + 1] = (float)(range - 2 * range * r / (n - 1));
            }
        var x = model.Decode(tensor(grid, [n * n, 2]));
        return Pictures.Grid(Rows(x), shape.Height, shape.Width, n, scale: 1, gap: 0, channels: shape.Channels);
    }

    private static List<float[]> Rows(Tensor x)
    {
        var data = x.contiguous().data<float>();
        int n = (int)x.size(0), d = (int)x.size(1);
        var rows = new List<float[]>(n);
        for (int i = 0; i < n; i++) rows.Add(data.AsSpan(i * d, d).ToArray());
        return rows;
    }
}
