using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using Zoo.Core.Configuration;

namespace Zoo.Core.Models;

/// <summary>The keys of an MLP network, declared once for the encoders and decoders built from one.</summary>
[ZooConfig]
[ConfigRule(nameof(CheckActivation))]
public abstract partial record MlpConfig
{
    [Description("hidden layer sizes, in the order data flows through them (seed 003: 500,500)")]
    [Range(1, 65536)]
    [Required]
    public int[] Hidden { get; init; } = [500, 500];

    [Description("activation between layers: relu, leaky_relu[:slope], elu[:alpha], softplus, tanh, sigmoid")]
    [Required]
    public string Activation { get; init; } = "softplus";

    /// <summary>The activation, parsed (the rule has checked it).</summary>
    public Zoo.Torch.Activation ParsedActivation => Zoo.Torch.Activation.Parse(Activation);

    protected string? CheckActivation() => ConfigRules.Activation("activation", Activation);
}
