using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Torch;
using Zoo.Torch.Modules;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Decoders.Conv;

/// <summary>
/// The conv encoder's mirror: dense layers from the code to the encoder's last feature map, then transposed
/// convolutions walking the encoder's sizes back (each but the last with optional batch norm and the activation); the
/// last writes k channels per picture channel, the likelihood's k parameters, as k blocks of C·H·W values.
/// </summary>
public sealed class ConvDecoder : nn.Module, IDecoder
{
    private readonly Sequential network;

    public ConvDecoder(ConvConfig config, int inputDim, DataShape data, int outputsPerDimension, Generator generator) : base("ConvDecoder")
    {
        var sizes = config.Sizes("decoder conv", data);
        var reversed = config.Channels.Reverse().ToArray();
        var (h, w) = sizes[^1];
        long features = reversed[0] * h * w;
        var layers = new List<nn.Module<Tensor, Tensor>>();
        long width = inputDim;
        if (config.Hidden > 0)
        {
            layers.Add(new Linear(width, config.Hidden, activation: config.ParsedActivation, generator: generator));
            width = config.Hidden;
        }
        layers.Add(new Linear(width, features, activation: config.ParsedActivation, generator: generator));
        layers.Add(new Reshape(reversed[0], h, w));
        for (int i = 0; i < reversed.Length; i++)
        {
            var last = i == reversed.Length - 1;
            long outChannels = last ? (long)outputsPerDimension * data.Channels : reversed[i + 1];
            var (from, to) = (sizes[^(i + 1)], sizes[^(i + 2)]);
            // The transposed convolution's output size is (in − 1)·stride − 2·padding + kernel + output_padding: the
            // output padding makes it the encoder's size before its stride rounded down.
            long outputPadding = to.Height - ((from.Height - 1) * config.Stride - 2 * config.Padding + config.Kernel);
            long outputPaddingW = to.Width - ((from.Width - 1) * config.Stride - 2 * config.Padding + config.Kernel);
            if (outputPadding != outputPaddingW || outputPadding < 0 || outputPadding >= config.Stride)
                throw new ConfigException($"decoder conv: kernel {config.Kernel}, stride {config.Stride} cannot map {from.Height}×{from.Width} back to " +
                                          $"{to.Height}×{to.Width}; use a square picture or a kernel of at least the stride");
            layers.Add(new ConvTranspose2d(reversed[i], outChannels, config.Kernel, config.Stride, config.Padding, outputPadding, generator: generator));
            if (last) break;
            if (config.Norm(outChannels) is { } norm) layers.Add(norm);
            layers.Add(new ActivationLayer(config.ParsedActivation));
        }
        layers.Add(new Reshape((long)outputsPerDimension * data.Dimensions));
        network = register_module("network", new Sequential([.. layers]));
    }

    public nn.Module Module => this;

    public Tensor Decode(Tensor input) => network.forward(input);
}

[ZooConfig]
public sealed partial record ConvDecoderConfig : ConvConfig;

[ZooPlugin("conv", Description = "transposed convolutions back to the picture, mirroring the conv encoder (the same keys, in reverse), k channels per likelihood parameter")]
public sealed partial class ConvDecoderPlugin : DecoderPlugin<ConvDecoderConfig>
{
    protected override IDecoder Create(ConvDecoderConfig config, int inputDim, DataShape data, int outputsPerDimension, Generator generator) =>
        new ConvDecoder(config, inputDim, data, outputsPerDimension, generator);

    /// <summary>Without the picture's shape there is nothing to write pictures of: the model asks for flat values only.</summary>
    protected override IDecoder Create(ConvDecoderConfig config, int inputDim, int outputDim, Generator generator) =>
        throw new ConfigException($"decoder conv: this model asks its decoder for {outputDim} flat values, not a picture; use mlp");
}
