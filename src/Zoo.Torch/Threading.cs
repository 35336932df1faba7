using System.Runtime.InteropServices;
using Zoo.Torch.Native;

namespace Zoo.Torch;

/// <summary>Thread settings of libtorch (OpenMP) and OpenBLAS, and what BLAS the process actually loaded.</summary>
public static class Threading
{
    public static string BlasConfig => Marshal.PtrToStringUTF8(NativeMethods.zt_blas_config()) ?? "?";
    public static int BlasThreads => NativeMethods.zt_blas_get_num_threads();

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
