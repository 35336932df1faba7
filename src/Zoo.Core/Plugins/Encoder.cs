using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

/// <summary>q(z | x): a network that maps inputs to a diagonal Gaussian over the latent space.</summary>
public interface IEncoder
{
    /// <summary>The encoder's network (parameters, train/eval, save/load).</summary>
    nn.Module Module { get; }

    DiagonalGaussian Encode(Tensor x);
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
}
