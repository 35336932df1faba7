using Zoo.Torch.Native;

namespace Zoo.Torch;

public static partial class torch
{
    /// <summary>A seeded random number generator (libtorch's CPU generator). Same seed, same numbers.</summary>
    public sealed class Generator : IDisposable
    {
        private IntPtr handle;

        public Generator(ulong seed = 0)
        {
            handle = NativeMethods.zt_generator_new(seed);
            TorchException.Check();
        }

        private Generator(IntPtr h) => handle = h;

        internal static Generator Default()
        {
            var h = NativeMethods.zt_default_generator();
            TorchException.Check();
            return new Generator(h);
        }

        internal IntPtr Handle => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(Generator));

        public ulong initial_seed() => NativeMethods.zt_generator_seed(Handle);

        /// <summary>The full generator state (a uint8 tensor), to checkpoint and later restore with <see cref="set_state"/>.</summary>
        public Tensor get_state() => Tensor.New(NativeMethods.zt_generator_get_state(Handle));

        public void set_state(Tensor state)
        {
            NativeMethods.zt_generator_set_state(Handle, state.Handle);
            GC.KeepAlive(state);
            TorchException.Check();
        }

        public void Dispose()
        {
            var h = Interlocked.Exchange(ref handle, IntPtr.Zero);
            if (h != IntPtr.Zero) NativeMethods.zt_generator_free(h);
            GC.SuppressFinalize(this);
        }

        ~Generator() => Dispose();
    }

    /// <summary>Seeds libtorch's global generator (used when no generator is passed).</summary>
    public static void manual_seed(ulong seed)
    {
        NativeMethods.zt_manual_seed(seed);
        TorchException.Check();
    }
}
