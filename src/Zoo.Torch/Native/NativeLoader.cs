using System.Reflection;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace Zoo.Torch.Native;

/// <summary>
/// Finds libzoo_torch.so beside the assembly and prepares the native environment before libtorch loads.
/// </summary>
internal static class NativeLoader
{
    [DllImport("libc", EntryPoint = "setenv")]
    private static extern unsafe int setenv(byte* name, byte* value, int overwrite);

    // A module initializer, because the resolver must be in place before the first P/Invoke of any caller.
#pragma warning disable CA2255
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static unsafe void Initialize()
    {
        // libgomp reads OMP_WAIT_POLICY once, when it loads (as a dependency of libtorch). With the default
        // (active) policy its idle threads spin and steal the second core from OpenBLAS and from the next op:
        // measured here 2-3x slower steps on 2 cores. .NET's Environment.SetEnvironmentVariable does not touch
        // the native environment on Linux, so set it through libc, without overriding a user's own choice.
        if (OperatingSystem.IsLinux())
            fixed (byte* name = "OMP_WAIT_POLICY\0"u8)
            fixed (byte* value = "PASSIVE\0"u8)
                setenv(name, value, 0);
        // The same for OpenBLAS's kernel: the widest this CPU runs, unless pinned (BlasKernel says why).
        if (OperatingSystem.IsLinux()) BlasKernel.Apply(SetNative);
        NativeLibrary.SetDllImportResolver(typeof(NativeLoader).Assembly, Resolve);
    }

    [DllImport("libc", EntryPoint = "unsetenv")]
    private static extern unsafe int unsetenv(byte* name);

    /// <summary>Sets (or, given null, removes) a variable of the native environment, where native libraries read it.</summary>
    private static unsafe void SetNative(string name, string? value)
    {
        fixed (byte* n = System.Text.Encoding.UTF8.GetBytes(name + "\0"))
        {
            if (value is null) { unsetenv(n); return; }
            fixed (byte* v = System.Text.Encoding.UTF8.GetBytes(value + "\0"))
                setenv(n, v, 1);
        }
    }

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? searchPath)
    {
        if (name != NativeMethods.Lib) return IntPtr.Zero;
        var candidates = new[]
        {
            Path.Combine(AppContext.BaseDirectory, "libzoo_torch.so"),
            Path.Combine(Path.GetDirectoryName(assembly.Location) ?? ".", "libzoo_torch.so"),
        };
        foreach (var path in candidates)
            if (File.Exists(path)) return NativeLibrary.Load(path);
        // From a package (Zoo.Sdk): the runtime's own probing finds runtimes/linux-x64/native/ through the deps.json.
        if (NativeLibrary.TryLoad("libzoo_torch.so", assembly, searchPath, out var handle)) return handle;
        throw new DllNotFoundException(
            $"libzoo_torch.so not found beside the application ({string.Join(", ", candidates)}) nor among its native assets: build the solution " +
            "(dotnet build), which compiles the native shim, after installing libtorch-dev (scripts/setup.sh).");
    }
}
