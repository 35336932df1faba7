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

/// <summary>A decoder plugin: builds decoders of the sizes a model asks for.</summary>
public interface IDecoderPlugin : IPlugin
{
    /// <summary>Builds a decoder from <paramref name="inputDim"/> values to <paramref name="outputDim"/>, initialised from <paramref name="generator"/>.</summary>
    /// <param name="config">the plugin's config record (bound from the run's keys)</param>
    /// <param name="inputDim">the values in: latent code and whatever the model conditions on</param>
    /// <param name="outputDim">the likelihood's parameters out</param>
    /// <param name="generator">the run's seeded generator, for the initial weights</param>
    IDecoder Create(object config, int inputDim, int outputDim, Generator generator);

    /// <summary>
    /// Builds a decoder from <paramref name="inputDim"/> values to <paramref name="outputsPerDimension"/> values per value
    /// of an input of <paramref name="data"/>'s shape, as k blocks of the input's size side by side (a convolutional
    /// decoder writes k channels per picture channel); by default a decoder to k × the flat size.
    /// </summary>
    IDecoder Create(object config, int inputDim, DataShape data, int outputsPerDimension, Generator generator) =>
        Create(config, inputDim, outputsPerDimension * data.Dimensions, generator);
}
