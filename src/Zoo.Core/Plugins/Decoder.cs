using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

/// <summary>A network from a latent code (and whatever a model conditions on) to a likelihood's parameters.</summary>
public interface IDecoder
{
    /// <summary>The decoder's network (parameters, train/eval, save/load).</summary>
    nn.Module Module { get; }

    /// <summary>[N, outputs] from [N, inputs].</summary>
    Tensor Decode(Tensor input);
}

/// <summary>Builds a decoder from <paramref name="inputDim"/> values to <paramref name="outputDim"/>, initialised from <paramref name="generator"/>.</summary>
public interface IDecoderPlugin : IPlugin
{
    IDecoder Create(object config, int inputDim, int outputDim, Generator generator);
}
