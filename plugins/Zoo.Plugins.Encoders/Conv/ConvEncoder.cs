using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Torch;
using Zoo.Torch.Modules;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Encoders.Conv;

/// <summary>
/// q(z|x) from a convolutional network: the flat input [N, C·H·W] as a picture, convolutions (each with optional
/// batch norm, then the activation), a dense layer, and one linear head emitting [μ | log σ²].
/// </summary>
public sealed class ConvEncoder(ConvConfig config, DataShape data, int latentDim, Generator generator)
    : GaussianHeadEncoder("ConvEncoder", Body(config, data, generator, out var features), features, latentDim, generator)
{
    /// <summary>The picture's convolutions and the dense layer; <paramref name="features"/>: the values per row they give the head.</summary>
    private static Sequential Body(ConvConfig config, DataShape data, Generator generator, out long features)
    {
        var sizes = config.Sizes("encoder conv", data);
        var layers = new List<nn.Module<Tensor, Tensor>> { new Reshape(data.Channels, data.Height, data.Width) };
        long channels = data.Channels;
        foreach (var c in config.Channels)
        {
            layers.Add(new Conv2d(channels, c, config.Kernel, config.Stride, config.Padding, generator: generator));
            if (config.Norm(c) is { } norm) layers.Add(norm);
            layers.Add(new ActivationLayer(config.ParsedActivation));
            channels = c;
        }
        var (h, w) = sizes[^1];
        features = channels * h * w;
        layers.Add(new Reshape(features));
        if (config.Hidden > 0)
        {
            layers.Add(new Linear(features, config.Hidden, activation: config.ParsedActivation, generator: generator));
            features = config.Hidden;
        }
        return new Sequential([.. layers]);
    }
}

[ZooConfig]
public sealed partial record ConvEncoderConfig : ConvConfig;

[ZooPlugin("conv", Description = "diagonal Gaussian q(z|x) from convolutions over the picture (channels, kernel, stride, batch norm), a dense layer and a [μ | log σ²] head")]
public sealed partial class ConvEncoderPlugin : EncoderPlugin<ConvEncoderConfig>
{
    protected override IEncoder Create(ConvEncoderConfig config, DataShape data, int latentDim, Generator generator) =>
        new ConvEncoder(config, data, latentDim, generator);

    /// <summary>Without the picture's shape there is nothing to convolve: the model gives flat values only.</summary>
    protected override IEncoder Create(ConvEncoderConfig config, int inputDim, int latentDim, Generator generator) =>
        throw new ConfigException($"encoder conv: this model gives its encoder {inputDim} flat values, not a picture; use gaussian-mlp");
}
