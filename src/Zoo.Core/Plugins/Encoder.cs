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

/// <summary>Builds an encoder for the given input and latent sizes, initialised from <paramref name="generator"/>.</summary>
public interface IEncoderPlugin : IPlugin
{
    IEncoder Create(object config, int inputDim, int latentDim, Generator generator);
}
