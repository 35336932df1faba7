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

/// <summary>
/// A prior with parameters of its own that reads the model's encoder (the VampPrior: a mixture of q(z | u_k) over
/// learned pseudo-inputs u_k). A composed model attaches it once its encoder and decoder are built
/// (<see cref="Models.ComposedModelConfig.CreateParts"/>), so other priors' runs draw their weights as before, and owns
/// <see cref="Module"/> with its networks (<see cref="Models.ComposedParts.Modules"/>): Adam trains it, checkpoints keep it.
/// </summary>
public interface ILearnedPrior
{
    /// <summary>The prior's parameters; valid once attached.</summary>
    nn.Module Module { get; }

    /// <summary>Makes the parameters for data of <paramref name="data"/>'s shape, drawn from <paramref name="generator"/>, and reads <paramref name="encoder"/> from now on.</summary>
    void Attach(IEncoder encoder, DataShape data, Generator generator);
}

public interface IPriorPlugin : IPlugin
{
    IPrior Create(object config);
}
