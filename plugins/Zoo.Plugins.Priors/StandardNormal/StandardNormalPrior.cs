using Zoo.Core.Plugins;
using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Plugins.Priors.StandardNormal;

/// <summary>p(z) = N(0, I); the KL from a diagonal Gaussian has a closed form.</summary>
public sealed class StandardNormalPrior : IPrior, IFactorizedPrior
{
    public Tensor LogProb(Tensor z) => DiagonalGaussian.StandardLogProb(z);

    public Tensor Sample(long n, long latentDim, Generator generator) => randn([n, latentDim], generator);

    public Tensor? AnalyticKl(DiagonalGaussian q) => q.KlToStandardNormal();

    public Tensor AnalyticKlPerDimension(DiagonalGaussian q) => q.KlToStandardNormalPerDimension();
}

[ZooPlugin("standard-normal", Description = "N(0, I), with the closed-form KL from a diagonal Gaussian")]
public sealed partial class StandardNormalPriorPlugin : PriorPlugin<NoConfig>
{
    protected override IPrior Create(NoConfig config) => new StandardNormalPrior();
}
