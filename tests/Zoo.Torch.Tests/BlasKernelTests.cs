using Zoo.Torch.Native;

namespace Zoo.Torch.Tests;

/// <summary>The OpenBLAS kernel chosen before libtorch loads: the widest the CPU runs, a narrowing environment overridden, a pin kept.</summary>
public class BlasKernelTests
{
    [Theory]
    // An AVX-512 CPU: the environment's narrower kernel is overridden (these machines set Haswell), one line says so.
    [InlineData(null, "Haswell", "SkylakeX", "SkylakeX", "OPENBLAS_CORETYPE=Haswell (from the environment) narrows OpenBLAS below this CPU's AVX-512; Zoo uses OpenBLAS's SkylakeX kernel (keep Haswell with ZOO_BLAS_CORETYPE=Haswell)")]
    [InlineData(null, "sandybridge", "SkylakeX", "SkylakeX", "OPENBLAS_CORETYPE=sandybridge (from the environment) narrows OpenBLAS below this CPU's AVX-512; Zoo uses OpenBLAS's SkylakeX kernel (keep sandybridge with ZOO_BLAS_CORETYPE=sandybridge)")]
    [InlineData(null, null, "SkylakeX", "SkylakeX", null)]
    [InlineData(null, "Cooperlake", "SkylakeX", "Cooperlake", null)]   // as wide: the environment's choice stands
    [InlineData("Haswell", "SkylakeX", "SkylakeX", "Haswell", null)]   // a pin wins, silently: the user asked for it
    // A CPU with AVX2 only: an AVX-512 kernel would die of an illegal instruction, so it is replaced.
    [InlineData(null, "SkylakeX", "Haswell", "Haswell", "OPENBLAS_CORETYPE=SkylakeX needs AVX-512, which this CPU (or runtime) lacks; Zoo uses OpenBLAS's Haswell kernel instead")]
    [InlineData("SkylakeX", null, "Haswell", "Haswell", "ZOO_BLAS_CORETYPE=SkylakeX needs AVX-512, which this CPU (or runtime) lacks; Zoo uses OpenBLAS's Haswell kernel instead")]
    [InlineData(null, "Haswell", "Haswell", "Haswell", null)]
    // Older than AVX2 (or not x86): OpenBLAS's own detection, and a runnable environment choice stands.
    [InlineData(null, "SkylakeX", null, null, "OPENBLAS_CORETYPE=SkylakeX needs AVX-512, which this CPU (or runtime) lacks; Zoo uses OpenBLAS's detected kernel instead")]
    [InlineData(null, "Nehalem", null, "Nehalem", null)]
    [InlineData(null, null, null, null, null)]
    public void The_kernel_is_the_widest_the_cpu_runs_unless_pinned(string? pin, string? environment, string? widest, string? chosen, string? note) =>
        BlasKernel.Decide(pin, environment, widest).ShouldBe((chosen, note));

    [Fact]
    public void The_loaded_openblas_runs_the_chosen_kernel()
    {
        using var t = torch.zeros(1); // loads libtorch and OpenBLAS
        if (BlasKernel.Chosen is { } chosen && Threading.BlasKernelName.StartsWith("OpenBLAS ", StringComparison.Ordinal))
            Threading.BlasKernelName.ShouldBe($"OpenBLAS {chosen}", StringCompareShould.IgnoreCase);
        Threading.Engine.ShouldContain(Threading.BlasKernelName);
    }
}
