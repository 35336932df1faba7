using System.Globalization;

namespace Zoo.Torch;

/// <summary>Activation kinds the fused linear layer understands; codes match the shim's zoo_kernels::Act.</summary>
public enum ActivationKind
{
    Identity = 0,
    ReLU = 1,
    LeakyReLU = 2,
    ELU = 3,
    Softplus = 4,
    Tanh = 5,
    Sigmoid = 6,
}

/// <summary>An activation function with its parameter (the LeakyReLU slope or the ELU alpha).</summary>
public readonly record struct Activation(ActivationKind Kind, double Parameter = 0)
{
    public static Activation Identity => new(ActivationKind.Identity);
    public static Activation ReLU => new(ActivationKind.ReLU);
    public static Activation LeakyReLU(double slope = 0.01) => new(ActivationKind.LeakyReLU, slope);
    public static Activation ELU(double alpha = 1.0) => new(ActivationKind.ELU, alpha);
    public static Activation Softplus => new(ActivationKind.Softplus);
    public static Activation Tanh => new(ActivationKind.Tanh);
    public static Activation Sigmoid => new(ActivationKind.Sigmoid);

    /// <summary>The names configs use: relu, leaky_relu[:slope], elu[:alpha], softplus, tanh, sigmoid, identity.</summary>
    public static readonly string[] Names = ["identity", "relu", "leaky_relu", "elu", "softplus", "tanh", "sigmoid"];

    /// <summary>Parses "softplus", "leaky_relu:0.2", "elu:1.0" ...; throws FormatException naming the valid choices.</summary>
    public static Activation Parse(string text)
    {
        var parts = text.Trim().ToLowerInvariant().Split(':', 2);
        double? p = null;
        if (parts.Length == 2)
        {
            if (!double.TryParse(parts[1], NumberStyles.Float, CultureInfo.InvariantCulture, out var v) || !double.IsFinite(v))
                throw new FormatException($"activation '{text}': parameter '{parts[1]}' is not a finite number");
            p = v;
        }
        return parts[0] switch
        {
            "identity" or "none" or "linear" => Identity,
            "relu" => ReLU,
            "leaky_relu" or "leakyrelu" => LeakyReLU(p ?? 0.01),
            "elu" => ELU(p ?? 1.0),
            "softplus" => Softplus,
            "tanh" => Tanh,
            "sigmoid" => Sigmoid,
            _ => throw new FormatException($"unknown activation '{text}': expected one of {string.Join(", ", Names)}"),
        };
    }

    public override string ToString() => Kind switch
    {
        ActivationKind.LeakyReLU => FormattableString.Invariant($"leaky_relu:{Parameter}"),
        ActivationKind.ELU => FormattableString.Invariant($"elu:{Parameter}"),
        _ => Names[(int)Kind],
    };

    /// <summary>Applies the activation with libtorch's own (unfused) ops.</summary>
    public torch.Tensor Apply(torch.Tensor x) => Kind switch
    {
        ActivationKind.Identity => x.alias(),
        ActivationKind.ReLU => x.relu(),
        ActivationKind.LeakyReLU => x.leaky_relu(Parameter),
        ActivationKind.ELU => x.elu(Parameter),
        ActivationKind.Softplus => x.softplus(),
        ActivationKind.Tanh => x.tanh(),
        ActivationKind.Sigmoid => x.sigmoid(),
        _ => throw new ArgumentOutOfRangeException(nameof(Kind)),
    };
}
