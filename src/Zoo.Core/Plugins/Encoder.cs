using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

/// <summary>q(z | x): a network that maps inputs to a diagonal Gaussian over the latent space.</summary>
public interface IEncoder
{
    /// <summary>The encoder's network (parameters, train/eval, save/load).</summary>
    nn.Module Module { get; }

    DiagonalGaussian Encode(Tensor x);

    /// <summary>
    /// q(z | x_r) for the rows x_r = [a[rows[r]] | one-hot(classes[r], k)] (row r of a when <paramref name="rows"/> is
    /// null; int64 rows and classes): a network whose input ends in a one-hot class, scored for several classes per row
    /// (the VFAE's q(z2|z1,y) and p(z1|z2,y)). By default x is built and encoded; an encoder whose first layer is linear
    /// (<see cref="GaussianHeadEncoder"/> over an MLP) takes a's part of it once per row of a instead.
    /// </summary>
    DiagonalGaussian EncodeWithClasses(Tensor a, Tensor? rows, Tensor classes, int k) => EncodeClassRows(this, a, rows, classes, k);

    /// <summary><paramref name="encoder"/>'s Encode over the built rows (the default above, and an override's fallback).</summary>
    static DiagonalGaussian EncodeClassRows(IEncoder encoder, Tensor a, Tensor? rows, Tensor classes, int k)
    {
        using var x = ClassRows(a, rows, classes, k);
        return encoder.Encode(x);
    }

    /// <summary>The rows [a[rows[r]] | one-hot(classes[r], k)] themselves.</summary>
    static Tensor ClassRows(Tensor a, Tensor? rows, Tensor classes, int k)
    {
        using var scope = NewDisposeScope();
        var picked = rows is null ? a : a.index_select(0, rows);
        return cat([picked, nn.functional.one_hot(classes, k).to(a.dtype)], 1).MoveToOuterDisposeScope();
    }
}

/// <summary>An encoder plugin: builds encoders of the sizes a model asks for.</summary>
public interface IEncoderPlugin : IPlugin
{
    /// <summary>Builds an encoder for the given input and latent sizes, initialised from <paramref name="generator"/>.</summary>
    /// <param name="config">the plugin's config record (bound from the run's keys)</param>
    /// <param name="inputDim">the values in</param>
    /// <param name="latentDim">the latent dimensions of the Gaussian out</param>
    /// <param name="generator">the run's seeded generator, for the initial weights</param>
    IEncoder Create(object config, int inputDim, int latentDim, Generator generator);

    /// <summary>
    /// Builds an encoder for inputs of <paramref name="data"/>'s shape (a convolutional encoder needs the picture's
    /// channels, height and width); by default one for its flat size.
    /// </summary>
    IEncoder Create(object config, DataShape data, int latentDim, Generator generator) => Create(config, data.Dimensions, latentDim, generator);
}

/// <summary>
/// q(z|x) from a network and one linear head that emits [μ | log σ²] (one GEMM for both): what the MLP and the
/// convolutional encoders share. The network is built (and draws its weights) before the head, and the two are saved
/// as body.* and head.*.
/// </summary>
public abstract class GaussianHeadEncoder : nn.Module, IEncoder
{
    private readonly nn.Module<Tensor, Tensor> body;
    private readonly Zoo.Torch.Modules.Linear head;

    /// <summary>The head of <paramref name="latentDim"/> means and log-variances over <paramref name="body"/>'s <paramref name="features"/> values per row.</summary>
    protected GaussianHeadEncoder(string name, nn.Module<Tensor, Tensor> body, long features, int latentDim, Generator generator) : base(name)
    {
        this.body = register_module("body", body);
        head = register_module("head", new Zoo.Torch.Modules.Linear(features, 2L * latentDim, generator: generator));
    }

    public nn.Module Module => this;

    public DiagonalGaussian Encode(Tensor x)
    {
        using var h = body.forward(x);
        using var stats = head.forward(h);
        return DiagonalGaussian.FromHead(stats);
    }

    /// <summary>
    /// Over an MLP body whose first layer takes a's width plus k: that layer without the built rows
    /// (<see cref="Zoo.Torch.Modules.Linear.forward(Tensor, Tensor?, Tensor)"/>), then the rest as usual.
    /// </summary>
    public DiagonalGaussian EncodeWithClasses(Tensor a, Tensor? rows, Tensor classes, int k)
    {
        if (body is not Zoo.Torch.Modules.Sequential { Count: > 0 } mlp || mlp[0] is not Zoo.Torch.Modules.Linear first || first.InFeatures != a.size(1) + k)
            return IEncoder.EncodeClassRows(this, a, rows, classes, k);
        using var h1 = first.forward(a, rows, classes);
        using var h = mlp.ForwardFrom(1, h1);
        using var stats = head.forward(h);
        return DiagonalGaussian.FromHead(stats);
    }
}
