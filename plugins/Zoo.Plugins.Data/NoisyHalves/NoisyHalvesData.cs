using Zoo.Core.Configuration;
using Zoo.Core.Data;
using Zoo.Core.Plugins;
using Zoo.Core.Training;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Data.NoisyHalves;

[ZooConfig]
public sealed partial record NoisyHalvesConfig : ExamplesConfig;

/// <summary>
/// "noisy-halves", a small generated data set on which a plain VAE's posterior collapses (seed 002's pitfall).
/// Each 8×8 image is grey (0.5) with one of four halves (left, right, top, bottom: the label) brighter by
/// <see cref="Contrast"/>, under Gaussian pixel noise of standard deviation <see cref="Noise"/>. The class is worth
/// knowing (it is recoverable from an image about 87% of the time), but per pixel it is small against the noise:
/// early in training a Gaussian decoder explains every image as noise around the mean, the KL term pulls each
/// q(z|x) onto the prior, and the gradient towards using z is too weak to leave that saddle for ~20 epochs
/// (gaussian-vae, hidden=64, latent=4). KL warm-up or free bits let the encoder carry the class first; both end
/// with active units and a better ELBO. Generated deterministically (6000 train, 2000 test), no files.
/// </summary>
[ZooPlugin("noisy-halves", Description = "generated 8×8 images where a plain VAE's posterior collapses: one of four halves brighter by 0.08 under noise σ = 0.2 (6000 + 2000)")]
public sealed partial class NoisyHalvesData : DataPlugin<NoisyHalvesConfig>
{
    public const int Side = 8;
    public const double Contrast = 0.08;
    public const double Noise = 0.2;

    protected override TrainingData Load(NoisyHalvesConfig config, DataRequest request) =>
        config.Examples(Generate("train"), Generate("test"), request, classes: 4);

    public static ImageDataset Generate(string split)
    {
        var (n, seed) = split == "train" ? (6000, 0xC011A95EUL) : (2000, 0x7E57C011UL);
        using var gen = new Generator(seed);
        using var scope = NewDisposeScope();
        var halves = new float[4 * Side * Side];
        for (int r = 0; r < Side; r++)
            for (int c = 0; c < Side; c++)
            {
                int i = r * Side + c, size = Side * Side;
                halves[0 * size + i] = c < Side / 2 ? 1 : 0;
                halves[1 * size + i] = c >= Side / 2 ? 1 : 0;
                halves[2 * size + i] = r < Side / 2 ? 1 : 0;
                halves[3 * size + i] = r >= Side / 2 ? 1 : 0;
            }
        var labels = randint(0, 4, [n], gen);
        var bright = tensor(halves, [4, Side * Side]).index_select(0, labels);
        var images = bright * Contrast + randn([n, Side * Side], gen) * Noise + 0.5;
        return ImageDataset.FromTensors($"noisy-halves-{split}", Side, Side, images.DetachFromDisposeScope(), labels.DetachFromDisposeScope());
    }
}
