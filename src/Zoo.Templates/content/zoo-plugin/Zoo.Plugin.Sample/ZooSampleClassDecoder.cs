using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using Zoo.Torch.Modules;
using static Zoo.Torch.torch;

namespace Zoo.Plugin.Sample;

/// <summary>
/// A network from the latent code to the likelihood's parameters: one hidden ReLU layer, then a linear layer. Change
/// it into yours: Module and Decode are the contract; the model asks for the sizes (the likelihood's outputs per
/// dimension × the data's dimensions). The generic vae trains any decoder (zoo train vae decoder=zoo-sample-name).
/// </summary>
public sealed class ZooSampleClassDecoder : nn.Module, IDecoder
{
    private readonly Linear hidden, output;

    public ZooSampleClassDecoder(int inputDim, int hiddenUnits, int outputDim, Generator generator) : base("ZooSampleClassDecoder")
    {
        hidden = register_module("hidden", new Linear(inputDim, hiddenUnits, activation: Activation.ReLU, generator: generator));
        output = register_module("output", new Linear(hiddenUnits, outputDim, generator: generator));
    }

    public nn.Module Module => this;

    public Tensor Decode(Tensor input)
    {
        using var h = hidden.forward(input);
        return output.forward(h);
    }
}

/// <summary>The plugin's keys: each public init property is one (decoder.hidden), its initialiser the default.</summary>
[ZooConfig]
public sealed partial record ZooSampleClassDecoderConfig
{
    [Description("units of the hidden layer")]
    [Range(1, 65536)]
    public int Hidden { get; init; } = 256;
}

[ZooPlugin("zoo-sample-name", Description = "decoder from the latent code through one hidden ReLU layer to the likelihood's parameters")]
public sealed partial class ZooSampleClassDecoderPlugin : DecoderPlugin<ZooSampleClassDecoderConfig>
{
    protected override IDecoder Create(ZooSampleClassDecoderConfig config, int inputDim, int outputDim, Generator generator) =>
        new ZooSampleClassDecoder(inputDim, config.Hidden, outputDim, generator);
}
