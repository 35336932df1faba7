using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Torch;
using Zoo.Torch.Modules;

namespace Zoo.Core.Models;

/// <summary>
/// The keys of a convolutional network, declared once for the conv encoder and the conv decoder, and the geometry both
/// derive from them: each layer a convolution of the given kernel and stride with padding (kernel − stride + 1) / 2,
/// so a stride-2 layer halves the picture (28 → 14 → 7 with the defaults). The decoder's defaults mirror the
/// encoder's: its layers undo the encoder's sizes exactly, in reverse.
/// </summary>
[ZooConfig]
[ConfigRule(nameof(CheckActivation))]
public abstract partial record ConvConfig
{
    [Description("output channels of each convolution, in the encoder's order (the decoder runs them in reverse)")]
    [Range(1, 4096)]
    [Required]
    public int[] Channels { get; init; } = [32, 64];

    [Description("kernel size of every convolution (square)")]
    [Range(1, 15)]
    public int Kernel { get; init; } = 4;

    [Description("stride of every convolution: 2 halves the picture each layer")]
    [Range(1, 4)]
    public int Stride { get; init; } = 2;

    [Description("units of the dense layer between the convolutions and the latent code (0: none)")]
    [Range(0, 65536)]
    public int Hidden { get; init; } = 256;

    [Description("normalisation after each convolution: none or batch (batch norm, running estimates saved in checkpoints)")]
    [AllowedValues("none", "batch")]
    public string Normalisation { get; init; } = "none";

    [Description("activation after each layer: relu, leaky_relu[:slope], elu[:alpha], softplus, tanh, sigmoid")]
    [Required]
    public string Activation { get; init; } = "relu";

    /// <summary>The activation, parsed (the rule has checked it).</summary>
    public Activation ParsedActivation => Zoo.Torch.Activation.Parse(Activation);

    public int Padding => (Kernel - Stride + 1) / 2;

    /// <summary>
    /// The picture's size before the first layer and after each (the encoder's sizes; the decoder walks them back), or a
    /// ConfigException naming the layer that shrinks it below 1 × 1.
    /// </summary>
    public IReadOnlyList<(int Height, int Width)> Sizes(string owner, DataShape data)
    {
        if (!data.IsImage)
            throw new ConfigException($"{owner}: a convolutional network reads pictures, and this run's inputs are {data.Dimensions} flat values " +
                                      "(a table, or a model that gives the network no picture); use gaussian-mlp / mlp");
        var sizes = new List<(int, int)> { (data.Height, data.Width) };
        foreach (var _ in Channels)
        {
            var (h, w) = sizes[^1];
            (int, int) next = ((h + 2 * Padding - Kernel) / Stride + 1, (w + 2 * Padding - Kernel) / Stride + 1);
            if (h + 2 * Padding < Kernel || w + 2 * Padding < Kernel)
                throw new ConfigException($"{owner}: {Channels.Length} layers of kernel {Kernel}, stride {Stride} shrink the {data.Height}×{data.Width} " +
                                          $"picture below 1×1 at layer {sizes.Count}; give fewer channels entries, a smaller kernel or stride 1");
            sizes.Add(next);
        }
        return sizes;
    }

    /// <summary>Batch norm after a convolution of <paramref name="channels"/> outputs, or null without normalisation.</summary>
    public BatchNorm2d? Norm(long channels) => Normalisation == "batch" ? new BatchNorm2d(channels) : null;

    protected string? CheckActivation() => ConfigRules.Activation("activation", Activation);
}
