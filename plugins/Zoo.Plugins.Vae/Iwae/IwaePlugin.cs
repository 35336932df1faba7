using Zoo.Core.Configuration;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Vae.Iwae;

/// <summary>iwae: the vae's parts trained and reported on the k-sample importance-weighted bound.</summary>
[ZooPlugin("iwae", Description = "importance-weighted autoencoder (Burda, Grosse & Salakhutdinov 2016, arXiv:1509.00519): any likelihood, prior, encoder and decoder trained on the k-sample bound; metrics report it as iwae_kK")]
public sealed partial class IwaePlugin : ComposedModelPlugin<IwaeConfig>
{
    protected override IVaeModel Create(IwaeConfig cfg, DataShape data, Generator generator)
    {
        var parts = cfg.CreateParts(data, generator);
        // The bound needs log q(z|x) − log p(z) at its samples, never the KL in closed form: any prior will do.
        return new ImportanceWeightedAutoencoder(new VariationalAutoencoder(Name, parts.Encoder, parts.Decoder, parts.Likelihood,
            parts.Prior, cfg.Latent, new ElboOptions(KlEstimator.MonteCarlo, cfg.K)), cfg.K);
    }
}
