using System.Runtime.InteropServices;
using Zoo.Torch.Native;

namespace Zoo.Torch;

/// <summary>Thread settings of libtorch (OpenMP) and OpenBLAS, and what BLAS the process actually loaded.</summary>
public static class Threading
{
    public static string BlasConfig => Marshal.PtrToStringUTF8(NativeMethods.zt_blas_config()) ?? "?";
    public static int BlasThreads => NativeMethods.zt_blas_get_num_threads();

    /// <summary>
    /// The BLAS kernel running, in a few words: "OpenBLAS SkylakeX", or the BLAS's own description where it is not
    /// OpenBLAS. <see cref="Native.BlasKernel"/> chose the core type before OpenBLAS loaded.
    /// </summary>
    public static string BlasKernelName =>
        Marshal.PtrToStringUTF8(NativeMethods.zt_blas_corename()) is { Length: > 0 } core ? $"OpenBLAS {core}" : BlasConfig;

    /// <summary>The engine in one phrase for the first line of a run or a benchmark: "libtorch 1.13.0, 2 threads, OpenBLAS SkylakeX".</summary>
    public static string Engine => $"libtorch {torch.version}, {torch.get_num_threads()} threads, {BlasKernelName}";

    /// <summary>Writes <see cref="Engine"/>'s companion: the one line saying Zoo chose a BLAS kernel against the environment, if it did.</summary>
    public static void WriteBlasNote(TextWriter to)
    {
        if (Native.BlasKernel.Note is { } note) to.WriteLine($"  blas: {note}");
    }

    /// <summary>Sets OpenBLAS's own thread count; false when the loaded BLAS is not OpenBLAS.</summary>
    public static bool SetBlasThreads(int n) => NativeMethods.zt_blas_set_num_threads(n) != 0;

    /// <summary>Flush denormal floats to zero on this thread and libtorch's pool threads (torch.set_flush_denormal).</summary>
    public static void SetFlushDenormal(bool on)
    {
        NativeMethods.zt_set_flush_denormal(on);
        TorchException.Check();
    }

    public static bool FlushDenormal => NativeMethods.zt_get_flush_denormal();

    /// <summary>
    /// Runs one chunk per intra-op thread through the shim's at::parallel_for: how many distinct threads ran one,
    /// and how many of those flush denormals.
    /// </summary>
    internal static unsafe (int Threads, int FlushingThreads) ParallelProbe()
    {
        int ftz;
        int n = NativeMethods.zt_parallel_probe(&ftz);
        TorchException.Check();
        return (n, ftz);
    }
}
