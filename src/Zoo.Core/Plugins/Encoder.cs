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
