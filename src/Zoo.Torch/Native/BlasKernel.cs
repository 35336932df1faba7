using System.Runtime.Intrinsics.X86;

namespace Zoo.Torch.Native;

/// <summary>
/// Which OpenBLAS kernel (core type) the process runs: decided once, before libtorch and the OpenBLAS under it load,
/// because OpenBLAS reads <c>OPENBLAS_CORETYPE</c> when it loads and never again.
/// <para>
/// Zoo runs at the widest kernel the CPU and the runtime allow (CPUID, through .NET's hardware intrinsics, so
/// <c>DOTNET_EnableAVX512=0</c> counts as a CPU without AVX-512). An <c>OPENBLAS_CORETYPE</c> from the environment
/// that names a narrower kernel (these machines set <c>Haswell</c>: AVX2 on an AVX-512 CPU, 30–40 % slower GEMMs)
/// is overridden, and so is one the CPU cannot run; <see cref="Note"/> says so in one line. <c>ZOO_BLAS_CORETYPE</c>
/// pins a kernel whatever the environment says (it must be one the CPU can run).
/// </para>
/// </summary>
public static class BlasKernel
{
    public const string PinVariable = "ZOO_BLAS_CORETYPE";
    public const string OpenBlasVariable = "OPENBLAS_CORETYPE";

    /// <summary>OpenBLAS's x86-64 kernels that need AVX-512 (their sgemm is SkylakeX's).</summary>
    private static readonly string[] Avx512Kernels = ["SkylakeX", "Cooperlake", "SapphireRapids"];

    /// <summary>OpenBLAS's x86-64 kernels that need AVX2 and FMA.</summary>
    private static readonly string[] Avx2Kernels = ["Haswell", "Zen"];

    /// <summary>The widest kernel for this CPU and runtime, or null where OpenBLAS's own detection is left to choose (not x86-64, or older than AVX2).</summary>
    public static string? Widest { get; } =
        Avx512F.IsSupported && Avx512BW.IsSupported && Avx512DQ.IsSupported && Avx512F.VL.IsSupported ? "SkylakeX"
        : Avx2.IsSupported && Fma.IsSupported ? "Haswell"
        : null;

    /// <summary>The core type this process asked OpenBLAS for (null: OpenBLAS detects it).</summary>
    public static string? Chosen { get; private set; }

    /// <summary>One line when Zoo chose against the environment or a pin; null when it did not.</summary>
    public static string? Note { get; private set; }

    /// <summary>The decision, given the two variables: (core type to set or null, note or null). Pure, for tests.</summary>
    public static (string? CoreType, string? Note) Decide(string? pin, string? environment, string? widest)
    {
        if (!string.IsNullOrWhiteSpace(pin))
        {
            if (Runnable(pin, widest)) return (pin, null);
            return (widest, $"{PinVariable}={pin} needs AVX-512, which this CPU (or runtime) lacks; Zoo uses OpenBLAS's {widest ?? "detected"} kernel instead");
        }
        if (string.IsNullOrWhiteSpace(environment)) return (widest, null);
        if (!Runnable(environment, widest))
            return (widest, $"{OpenBlasVariable}={environment} needs AVX-512, which this CPU (or runtime) lacks; Zoo uses OpenBLAS's {widest ?? "detected"} kernel instead");
        if (widest is not null && Rank(environment) < Rank(widest))
            return (widest, $"{OpenBlasVariable}={environment} (from the environment) narrows OpenBLAS below this CPU's {Width(widest)}; " +
                            $"Zoo uses OpenBLAS's {widest} kernel (keep {environment} with {PinVariable}={environment})");
        return (environment, null);
    }

    /// <summary>Sets the native environment before libtorch loads (called by <see cref="NativeLoader"/>).</summary>
    internal static void Apply(Action<string, string?> setNative)
    {
        var environment = Environment.GetEnvironmentVariable(OpenBlasVariable);
        var (coreType, note) = Decide(Environment.GetEnvironmentVariable(PinVariable), environment, Widest);
        Chosen = coreType;
        Note = note;
        // null with a variable set: one this CPU cannot run, on a CPU whose kernel OpenBLAS's detection must pick.
        if (coreType is not null || environment is not null) setNative(OpenBlasVariable, coreType);
    }

    /// <summary>A kernel that needs AVX-512 only runs where AVX-512 is usable; names OpenBLAS does not know it rejects itself.</summary>
    private static bool Runnable(string kernel, string? widest) => Rank(kernel) < 2 || widest == "SkylakeX";

    /// <summary>2 for AVX-512 kernels, 1 for AVX2 ones, 0 for older or unknown names.</summary>
    private static int Rank(string kernel) =>
        Avx512Kernels.Contains(kernel, StringComparer.OrdinalIgnoreCase) ? 2 : Avx2Kernels.Contains(kernel, StringComparer.OrdinalIgnoreCase) ? 1 : 0;

    private static string Width(string kernel) => Rank(kernel) == 2 ? "AVX-512" : "AVX2";
}
