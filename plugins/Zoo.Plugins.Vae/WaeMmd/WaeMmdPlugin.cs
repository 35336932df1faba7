using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Vae.WaeMmd;

/// <summary>
/// wae-mmd: the Wasserstein autoencoder with an MMD penalty (Tolstikhin et al. 2018) over any likelihood, prior,
/// encoder and decoder. Its default latent size is the paper's for MNIST.
/// </summary>
[ZooPlugin("wae-mmd", Description = "Wasserstein autoencoder with an MMD penalty (Tolstikhin, Bousquet, Gelly & Schoelkopf 2018, WAE-MMD): reconstruction + lambda * MMD(codes, prior)")]
public sealed partial class WaeMmdPlugin : ComposedModelPlugin<WaeMmdConfig>
{
    public override IReadOnlyList<KeyValuePair<string, string>> RunDefaults => ConfigText.ParseAssignments(["latent=8"]);

    protected override IVaeModel Create(WaeMmdConfig cfg, DataShape data, Generator generator)
    {
        var parts = cfg.CreateParts(data, generator);
        var options = new WaeOptions(cfg.Lambda, cfg.Kernel);
        return cfg.Deterministic
            ? new WassersteinAutoencoder(Name, parts, cfg.Latent, options)
            : new StochasticWassersteinAutoencoder(Name, parts, cfg.Latent, options);
    }
}
