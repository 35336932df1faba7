using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Models;
using Zoo.Core.Plugins;
using Zoo.Plugins.Vae;
using Zoo.Torch;

namespace Zoo.Plugins.MixtureVae.MixtureVae;

/// <summary>
/// mixture-vae: bernoulli-vae's set-up with the gaussian-mixture prior in place of N(0, I), so the KL is a Monte
/// Carlo estimate. Every VAE key is inherited from <see cref="VaeConfig"/>; the mixture's keys are added here.
/// </summary>
[ZooConfig]
[ConfigRule(nameof(CheckPrior))]
public sealed partial record MixtureVaeConfig : VaeConfig
{
    public MixtureVaeConfig() => (Prior, Kl, Latent) = ("gaussian-mixture", KlEstimator.MonteCarlo, 2);

    /// <summary>how [0,1] pixels become binary: threshold (&gt; 0.5), stochastic (redrawn every epoch) or none</summary>
    public Binarization Binarize { get; init; } = Binarization.Threshold;

    /// <summary>mixture components K of the prior (10 for the 10 digits)</summary>
    [Range(1, 1000)]
    public int Components { get; init; } = 10;

    /// <summary>radius of the circle the prior's component means lie on</summary>
    [Range(0.0, 100.0)]
    public double Radius { get; init; } = 2.0;

    /// <summary>standard deviation of each prior component</summary>
    [Range(1e-3, 100.0)]
    public double ComponentScale { get; init; } = 0.5;

    public override Binarization Binarization => Binarize;

    private string? CheckPrior() => Prior == "gaussian-mixture" ? null
        : $"prior = '{Prior}': mixture-vae uses the gaussian-mixture prior (for another prior use bernoulli-vae prior={Prior})";
}

/// <summary>VAE for binarised images with a K-component Gaussian mixture prior (Monte Carlo KL); a drop-in plugin example</summary>
[ZooPlugin("mixture-vae")]
public sealed partial class MixtureVaePlugin(IServiceProvider services) : ModelPlugin<MixtureVaeConfig>
{
    protected override IVaeModel Create(MixtureVaeConfig config, DataShape data, torch.Generator generator) =>
        VaeBuilder.Build(Name, config, "bernoulli", [], data, generator, services,
            priorValues:
            [
                new("components", config.Components.ToString(CultureInfo.InvariantCulture)),
                new("radius", config.Radius.ToString("R", CultureInfo.InvariantCulture)),
                new("scale", config.ComponentScale.ToString("R", CultureInfo.InvariantCulture)),
            ]);
}
