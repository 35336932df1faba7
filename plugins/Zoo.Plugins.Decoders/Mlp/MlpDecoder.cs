using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Decoders.Mlp;

/// <summary>An MLP from the latent code to the likelihood's parameters (seeds 001/003): hidden layers, then a linear output layer.</summary>
public sealed class MlpDecoder(nn.Module<Tensor, Tensor> network) : IDecoder
{
    public nn.Module Module => network;

    public Tensor Decode(Tensor input) => network.forward(input);
}

[ZooConfig]
public sealed partial record MlpDecoderConfig : MlpConfig;

[ZooPlugin("mlp", Description = "MLP decoder: hidden layers with an activation, then a linear layer to the likelihood's parameters")]
public sealed partial class MlpDecoderPlugin : DecoderPlugin<MlpDecoderConfig>
{
    protected override IDecoder Create(MlpDecoderConfig config, int inputDim, int outputDim, Generator generator) =>
        new MlpDecoder(nn.MLP([inputDim, .. config.Hidden.Select(h => (long)h), outputDim], config.ParsedActivation, generator: generator));
}
