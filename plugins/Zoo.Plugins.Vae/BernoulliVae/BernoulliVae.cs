using System.ComponentModel;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Torch;

namespace Zoo.Plugins.Vae.BernoulliVae;

/// <summary>
/// bernoulli-vae: binarised images, Bernoulli likelihood on logits, standard normal prior, Gaussian MLP encoder.
/// Defaults are seed 003's set-up: 784-500-500-20, softplus, Adam 1e-3, batch 100, thresholded MNIST.
/// </summary>
[ZooConfig]
public sealed partial record BernoulliVaeConfig : VaeConfig
{
    [Description("how [0,1] pixels become binary: threshold (> 0.5), stochastic (redrawn every epoch) or none")]
    public Binarization Binarize { get; init; } = Binarization.Threshold;

    public override Binarization Binarization => Binarize;
}

[ZooPlugin("bernoulli-vae", Description = "VAE for binarised images: Bernoulli likelihood, N(0,I) prior, Gaussian MLP encoder (seeds 003/004)")]
public sealed partial class BernoulliVaePlugin(IServiceProvider services) : ModelPlugin<BernoulliVaeConfig>
{

    protected override IVaeModel Create(BernoulliVaeConfig config, DataShape data, torch.Generator generator) =>
        VaeBuilder.Build(Name, config, "bernoulli", [], data, generator, services);
}
