using Zoo.Torch.Native;

namespace Zoo.Torch;

public static partial class torch
{
    // Like grad mode, the meta flag lives in the native thread's state; the managed flag is an AsyncLocal whose change
    // callback re-applies it to whichever thread the logical flow runs on.
    private static readonly AsyncLocal<bool> metaAllocation = new(args => NativeMethods.zt_set_meta(args.CurrentValue));

    // The byte counters are process-wide (libtorch may run backward on its own threads), so one measurement at a time.
    private static readonly SemaphoreSlim metaGate = new(1, 1);

    /// <summary>
    /// Until disposed, tensor factories (empty, zeros, randn, tensor, ..., and so every parameter and activation made from
    /// them) allocate on libtorch's meta device: shapes, dtypes and autograd without storage. A model built and run forward
    /// and backward inside the scope costs no memory and next to no time, while <see cref="MetaMemory"/> counts the bytes
    /// its tensors would hold. Values cannot be read (item, data throw). Scopes are serialised process-wide, since the
    /// counters are; a nested scope joins the outer one.
    /// </summary>
    public static IDisposable MetaAllocation() => new MetaScope();

    /// <summary>Whether factories allocate on the meta device here (inside <see cref="MetaAllocation"/>).</summary>
    public static bool is_meta_allocation() => metaAllocation.Value;

    /// <summary>Bytes meta tensors hold now and the most they held since the last <see cref="ResetMetaPeak"/>.</summary>
    public static unsafe (long Current, long Peak) MetaMemory
    {
        get
        {
            long current, peak;
            NativeMethods.zt_meta_memory(&current, &peak);
            return (current, peak);
        }
    }

    /// <summary>Starts a new peak of <see cref="MetaMemory"/> at the current figure.</summary>
    public static void ResetMetaPeak() => NativeMethods.zt_meta_reset_peak();

    private sealed class MetaScope : IDisposable
    {
        private readonly bool outer;
        private bool disposed;

        public MetaScope()
        {
            outer = !metaAllocation.Value;
            if (!outer) return;
            metaGate.Wait();
            metaAllocation.Value = true;
        }

        public void Dispose()
        {
            if (disposed) return;
            disposed = true;
            if (!outer) return;
            metaAllocation.Value = false;
            metaGate.Release();
        }
    }

    public partial class Tensor
    {
        /// <summary>Whether this tensor is on the meta device (shape only, no storage).</summary>
        public bool is_meta { get { var r = NativeMethods.zt_is_meta(Handle); GC.KeepAlive(this); return r; } }

        /// <summary>Bytes of this tensor's elements (numel × element size), as PyTorch's Tensor.nbytes.</summary>
        public long nbytes() { var r = NativeMethods.zt_nbytes(Handle); GC.KeepAlive(this); return r; }
    }
}
