using Zoo.Torch;
using static Zoo.Torch.torch;

namespace Zoo.Core.Plugins;

/// <summary>p(z).</summary>
public interface IPrior
{
    /// <summary>log p(z) summed over latent dimensions: [N].</summary>
    Tensor LogProb(Tensor z);

    Tensor Sample(long n, long latentDim, Generator generator);

    /// <summary>KL(q || p) per example in closed form, or null where this prior has none (then use Monte Carlo).</summary>
    Tensor? AnalyticKl(DiagonalGaussian q);
}

/// <summary>
/// A prior that factorises over latent dimensions with a closed-form KL per dimension (N(0, I)). Free bits needs it,
/// and diagnostics report KL per dimension with it.
/// </summary>
public interface IFactorizedPrior
{
    /// <summary>KL(q_d || p_d) per example and dimension: [N, d].</summary>
    Tensor AnalyticKlPerDimension(DiagonalGaussian q);
}

public interface IPriorPlugin : IPlugin
{
    IPrior Create(object config);
}
