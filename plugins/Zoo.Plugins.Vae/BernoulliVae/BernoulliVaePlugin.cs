using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Plugins.Vae.Vae;

namespace Zoo.Plugins.Vae.BernoulliVae;

/// <summary>
/// bernoulli-vae: seed 003's set-up as a preset of vae: Bernoulli likelihood on MNIST thresholded at 0.5
/// (binarize=auto), 784-500-500-20 softplus MLPs, N(0, I) prior, Adam 1e-3, batch 100, 10 epochs.
/// It trains on the whole training split, as the seed did (dataset.validation=0; vae holds out a validation split).
/// </summary>
[ZooPlugin("bernoulli-vae", Description = "preset of vae for binarised images: Bernoulli likelihood, N(0,I) prior, MLPs 500-500, MNIST (seeds 003/004)")]
public sealed partial class BernoulliVaePlugin : VaePlugin
{
    public override IReadOnlyList<KeyValuePair<string, string>> RunDefaults => ConfigText.ParseAssignments(["likelihood=bernoulli", "dataset=mnist", "dataset.validation=0"]);
}
