using System.ComponentModel;
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Torch;

namespace Zoo.Plugins.Vae.GaussianVae;

/// <summary>
/// gaussian-vae: continuous [0,1] images, Gaussian likelihood with learned diagonal variance (seed 001),
/// standard normal prior, Gaussian MLP encoder. Defaults to Fashion-MNIST (the Frey faces of seed 001 are not
/// packaged here).
/// </summary>
[ZooConfig]
public sealed partial record GaussianVaeConfig : VaeConfig
{
    public GaussianVaeConfig() => Dataset = "fashion-mnist";

    [Description("floor of the decoder's variance σ² (keeps the likelihood finite on constant pixels)")]
    [Range(1e-8, 1.0)]
    public double MinVariance { get; init; } = 1e-3;

    public override Binarization Binarization => Binarization.None;
}

[ZooPlugin("gaussian-vae", Description = "VAE for continuous data: Gaussian likelihood with learned variance, N(0,I) prior, Gaussian MLP encoder (seed 001)")]
public sealed partial class GaussianVaePlugin(IServiceProvider services) : ModelPlugin<GaussianVaeConfig>
{

    protected override IVaeModel Create(GaussianVaeConfig config, DataShape data, torch.Generator generator) =>
        VaeBuilder.Build(Name, config, "gaussian",
            [new("min-variance", config.MinVariance.ToString("R", CultureInfo.InvariantCulture))], data, generator, services);
}
