using Zoo.Core.Configuration;
using Zoo.Core.Plugins;
using Zoo.Plugins.Vae.Vae;

namespace Zoo.Plugins.Vae.GaussianVae;

/// <summary>
/// gaussian-vae: seed 001's set-up as a preset of vae: Gaussian likelihood with learned diagonal variance on
/// continuous [0,1] Fashion-MNIST (the Frey faces of seed 001 are not packaged here; `dataset=frey.npy` trains on them).
/// It trains on the whole training split, as the seed did (dataset.validation=0; vae holds out a validation split).
/// </summary>
[ZooPlugin("gaussian-vae", Description = "preset of vae for continuous data: Gaussian likelihood with learned variance, N(0,I) prior, Fashion-MNIST (seed 001)")]
public sealed partial class GaussianVaePlugin : VaePlugin
{
    public override IReadOnlyList<KeyValuePair<string, string>> RunDefaults => ConfigText.ParseAssignments(["likelihood=gaussian", "dataset=fashion-mnist", "dataset.validation=0"]);
}
