using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Models;
using Zoo.Core.Training;
using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Vae.Vae;

/// <summary>
/// vae: any likelihood × prior × encoder × decoder × data. The presets (bernoulli-vae, gaussian-vae) are this model
/// with other run defaults.
/// </summary>
[ZooPlugin("vae", Description = "VAE composed of any likelihood, prior, encoder and decoder plugins (ELBO with analytic or Monte Carlo KL)")]
public partial class VaePlugin : ComposedModelPlugin<VaeConfig>
{
    protected override IVaeModel Create(VaeConfig cfg, DataShape data, Generator generator)
    {
        // The prior is checked before any network is built, so a refusal leaves nothing allocated.
        var prior = cfg.Prior.Create();
        if (cfg.Kl == KlEstimator.Analytic && !cfg.HasAnalyticKl(prior))
            throw new ConfigException($"{Name}: prior '{cfg.Prior.Name}' has no closed-form KL; set kl=monte-carlo");
        if (cfg.FreeBits > 0 && prior is not IFactorizedPrior)
            throw new ConfigException($"{Name}: free-bits needs a prior that factorises over dimensions, and '{cfg.Prior.Name}' does not; set free-bits=0");
        var parts = cfg.CreateParts(data, generator, prior);
        return new VariationalAutoencoder(Name, parts.Encoder, parts.Decoder, parts.Likelihood, parts.Prior, cfg.Latent,
            new ElboOptions(cfg.Kl, cfg.Samples, cfg.Beta, cfg.KlWarmup, cfg.FreeBits));
    }
}
