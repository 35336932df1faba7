using static Zoo.Torch.torch;

namespace Zoo.Torch.Modules;

/// <summary>
/// 2-D convolution over x [N, C_in, H, W] with PyTorch's default initialisation: weight and bias U(±1/√fan_in),
/// fan_in = C_in/groups · kH · kW (kaiming_uniform with a = √5).
/// </summary>
public sealed class Conv2d : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    public Parameter weight { get; }
    public Parameter? bias { get; }
    public (long H, long W) Stride { get; }
    public (long H, long W) Padding { get; }
    public long Groups { get; }

    public Conv2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0, long groups = 1, bool hasBias = true,
        Generator? generator = null) : base("Conv2d")
    {
        if (inChannels < 1 || outChannels < 1 || kernel < 1 || stride < 1 || padding < 0 || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels),
                $"Conv2d({inChannels} → {outChannels}, kernel {kernel}, stride {stride}, padding {padding}, groups {groups}): sizes must be positive and channels divisible by groups");
        (Stride, Padding, Groups) = ((stride, stride), (padding, padding), groups);
        var bound = 1.0 / Math.Sqrt(inChannels / groups * kernel * kernel);
        weight = register_parameter("weight", Init.Uniform([outChannels, inChannels / groups, kernel, kernel], bound, generator));
        if (hasBias) bias = register_parameter("bias", Init.Uniform([outChannels], bound, generator));
    }

    public override Tensor forward(Tensor x) => nn.functional.conv2d(x, weight, bias, Stride, Padding, groups: Groups);
}

/// <summary>
/// Transposed 2-D convolution (a learned upsampling): weight [C_in, C_out/groups, k, k], output size
/// (H − 1)·stride − 2·padding + k + output_padding. Initialised as PyTorch does (fan_in from the weight's second
/// dimension: C_out/groups · k · k).
/// </summary>
public sealed class ConvTranspose2d : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    public Parameter weight { get; }
    public Parameter? bias { get; }
    public (long H, long W) Stride { get; }
    public (long H, long W) Padding { get; }
    public (long H, long W) OutputPadding { get; }
    public long Groups { get; }

    public ConvTranspose2d(long inChannels, long outChannels, long kernel, long stride = 1, long padding = 0, long outputPadding = 0,
        long groups = 1, bool hasBias = true, Generator? generator = null) : base("ConvTranspose2d")
    {
        if (inChannels < 1 || outChannels < 1 || kernel < 1 || stride < 1 || padding < 0 || outputPadding < 0 || outputPadding >= stride
            || groups < 1 || inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentOutOfRangeException(nameof(inChannels),
                $"ConvTranspose2d({inChannels} → {outChannels}, kernel {kernel}, stride {stride}, padding {padding}, output padding {outputPadding}): " +
                "sizes must be positive, output padding below the stride and channels divisible by groups");
        (Stride, Padding, OutputPadding, Groups) = ((stride, stride), (padding, padding), (outputPadding, outputPadding), groups);
        var bound = 1.0 / Math.Sqrt(outChannels / groups * kernel * kernel);
        weight = register_parameter("weight", Init.Uniform([inChannels, outChannels / groups, kernel, kernel], bound, generator));
        if (hasBias) bias = register_parameter("bias", Init.Uniform([outChannels], bound, generator));
    }

    public override Tensor forward(Tensor x) => nn.functional.conv_transpose2d(x, weight, bias, Stride, Padding, OutputPadding, Groups);
}

/// <summary>
/// Batch normalisation per channel of x [N, C, H, W] (or [N, C]): in training the batch's statistics normalise and
/// the running estimates (buffers running_mean and running_var, saved in checkpoints) follow them with
/// <see cref="Momentum"/>; in eval the running estimates normalise. Then the learned scale (weight, 1) and shift (bias, 0).
/// </summary>
public sealed class BatchNorm2d : torch.nn.Module<torch.Tensor, torch.Tensor>
{
    public Parameter weight { get; }
    public Parameter bias { get; }
    public Tensor running_mean { get; }
    public Tensor running_var { get; }
    public double Momentum { get; }
    public double Eps { get; }

    public BatchNorm2d(long channels, double eps = 1e-5, double momentum = 0.1) : base("BatchNorm2d")
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "BatchNorm2d needs at least one channel");
        (Eps, Momentum) = (eps, momentum);
        using (var one = ones(channels)) weight = register_parameter("weight", new Parameter(one));
        using (var zero = zeros(channels)) bias = register_parameter("bias", new Parameter(zero));
        using (var zero = zeros(channels)) running_mean = register_buffer("running_mean", zero);
        using (var one = ones(channels)) running_var = register_buffer("running_var", one);
    }

    public override Tensor forward(Tensor x) => nn.functional.batch_norm(x, running_mean, running_var, weight, bias, training, Momentum, Eps);
}

/// <summary>Resizes x [N, C, H, W] by an integer factor, nearest or bilinear (no parameters).</summary>
public sealed class Upsample(long factor, nn.functional.UpsampleMode mode = nn.functional.UpsampleMode.Nearest)
    : torch.nn.Module<torch.Tensor, torch.Tensor>("Upsample")
{
    public long Factor { get; } = factor >= 1 ? factor : throw new ArgumentOutOfRangeException(nameof(factor), factor, "the factor must be at least 1");

    public override Tensor forward(Tensor x) =>
        nn.functional.interpolate(x, (x.shape[^2] * Factor, x.shape[^1] * Factor), mode, align_corners: false);
}

/// <summary>
/// Dropout with probability p in training (identity in eval), its masks drawn from the generator it is given (the
/// run's, so a seeded run repeats).
/// </summary>
public sealed class Dropout(double p, Generator? generator = null) : torch.nn.Module<torch.Tensor, torch.Tensor>("Dropout")
{
    public double P { get; } = p is >= 0 and < 1 ? p : throw new ArgumentOutOfRangeException(nameof(p), p, "dropout probability must be in [0, 1)");

    public override Tensor forward(Tensor x) => nn.functional.dropout(x, P, training, generator);
}

/// <summary>Reshapes [N, …] to [N, shape…] (flat vectors to images and back, between dense and convolutional layers).</summary>
public sealed class Reshape(params long[] shape) : torch.nn.Module<torch.Tensor, torch.Tensor>("Reshape")
{
    public override Tensor forward(Tensor x) => x.reshape([x.shape[0], .. shape]);
}

/// <summary>The layers' initialisers, as PyTorch's defaults.</summary>
internal static class Init
{
    public static Parameter Uniform(long[] shape, double bound, Generator? generator)
    {
        using var _ = no_grad();
        using var t = empty(shape);
        t.uniform_(-bound, bound, generator);
        return new Parameter(t);
    }
}
