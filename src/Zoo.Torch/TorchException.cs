using System.Runtime.InteropServices;
using Zoo.Torch.Native;

namespace Zoo.Torch;

/// <summary>An error raised inside libtorch (a c10::Error or any C++ exception), carrying libtorch's message.</summary>
public sealed class TorchException(string message) : Exception(message)
{
    /// <summary>Throws if the last native call on this thread left an error in the shim's error slot.</summary>
    internal static void Check()
    {
        var err = NativeMethods.zt_last_error();
        if (err != IntPtr.Zero) Throw(err);
    }

    /// <summary>The pending error of the last native call on this thread (cleared), or null.</summary>
    internal static string? Take()
    {
        var err = NativeMethods.zt_last_error();
        if (err == IntPtr.Zero) return null;
        var msg = Marshal.PtrToStringUTF8(err) ?? "unknown libtorch error";
        NativeMethods.zt_clear_error();
        return msg.Trim();
    }

    private static void Throw(IntPtr err)
    {
        var msg = Marshal.PtrToStringUTF8(err) ?? "unknown libtorch error";
        NativeMethods.zt_clear_error();
        throw new TorchException(msg.Trim());
    }
}
