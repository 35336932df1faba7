using System.Runtime.InteropServices;
using Zoo.Torch.Native;

namespace Zoo.Torch;

public static partial class torch
{
    /// <summary>Number of native tensors alive in the process (handles not yet freed): a leak detector.</summary>
    public static long LiveTensors => NativeMethods.zt_live_tensors();

    /// <summary>
    /// <see cref="LiveTensors"/> once every unreachable tensor has been finalized (collections repeated until the count
    /// stops moving): a baseline a leak check can compare against, since a collection later on cannot lower it.
    /// </summary>
    public static long SettledLiveTensors()
    {
        long last;
        do
        {
            last = LiveTensors;
            GC.Collect();
            GC.WaitForPendingFinalizers();
        } while (LiveTensors != last);
        return last;
    }

    /// <summary>
    /// A handle to one libtorch tensor. Free it deterministically with <c>Dispose</c> (or a
    /// <see cref="DisposeScope"/>); the finalizer is only a safety net. A tensor joins the current dispose
    /// scope when it is created.
    /// </summary>
    public partial class Tensor : IDisposable
    {
        private IntPtr handle;
        internal DisposeScope? Scope;

        internal Tensor(IntPtr handle, bool joinScope = true)
        {
            if (handle == IntPtr.Zero) throw new ArgumentException("null tensor handle", nameof(handle));
            this.handle = handle;
            if (joinScope) DisposeScope.Current?.Add(this);
        }

        /// <summary>Wraps the result of a native call, turning a null handle into the pending TorchException.</summary>
        internal static Tensor New(IntPtr h)
        {
            if (h == IntPtr.Zero)
            {
                TorchException.Check();
                throw new TorchException("libtorch returned no tensor and no error");
            }
            return new Tensor(h);
        }

        ~Tensor() => Free();

        /// <summary>The native handle; throws ObjectDisposedException after Dispose.</summary>
        public IntPtr Handle
        {
            get
            {
                var h = handle;
                if (h == IntPtr.Zero) ThrowDisposed();
                return h;
            }
        }

        private static void ThrowDisposed() =>
            throw new ObjectDisposedException(nameof(Tensor), "This tensor was used after it was disposed (directly or by its DisposeScope).");

        public bool IsDisposed => handle == IntPtr.Zero;

        public void Dispose()
        {
            Scope?.Remove(this);
            Scope = null;
            Free();
            GC.SuppressFinalize(this);
        }

        private void Free()
        {
            var h = Interlocked.Exchange(ref handle, IntPtr.Zero);
            if (h != IntPtr.Zero) NativeMethods.zt_free(h);
        }

        /// <summary>Moves this tensor to the outer dispose scope so it survives the current one.</summary>
        public Tensor MoveToOuterDisposeScope() => Scope is { } s ? s.MoveToOuter(this) : this;

        /// <summary>Takes this tensor out of every dispose scope: the caller must dispose it.</summary>
        public Tensor DetachFromDisposeScope() => Scope is { } s ? s.Detach(this) : this;

        // ------------------------------------------------------------------ properties
        public long dim() { var r = NativeMethods.zt_dim(Handle); GC.KeepAlive(this); return r; }
        public long numel() { var r = NativeMethods.zt_numel(Handle); GC.KeepAlive(this); return r; }
        public ScalarType dtype { get { var r = (ScalarType)NativeMethods.zt_dtype(Handle); GC.KeepAlive(this); return r; } }

        public unsafe long[] shape
        {
            get
            {
                var s = new long[dim()];
                fixed (long* p = s) NativeMethods.zt_shape(Handle, p);
                GC.KeepAlive(this);
                return s;
            }
        }

        public long size(long dim)
        {
            var s = shape;
            var d = dim < 0 ? dim + s.Length : dim;
            if (d < 0 || d >= s.Length) throw new ArgumentOutOfRangeException(nameof(dim), $"dimension {dim} out of range for a {s.Length}-d tensor");
            return s[d];
        }

        public bool requires_grad
        {
            get { var r = NativeMethods.zt_requires_grad(Handle); GC.KeepAlive(this); return r; }
            set { NativeMethods.zt_set_requires_grad(Handle, value); GC.KeepAlive(this); TorchException.Check(); }
        }

        public Tensor requires_grad_(bool value = true) { requires_grad = value; return this; }

        public bool is_leaf { get { var r = NativeMethods.zt_is_leaf(Handle); GC.KeepAlive(this); return r; } }

        /// <summary>The accumulated gradient (a new handle, joining the current scope), or null if none.</summary>
        public Tensor? grad
        {
            get
            {
                var h = NativeMethods.zt_grad(Handle);
                GC.KeepAlive(this);
                TorchException.Check();
                return h == IntPtr.Zero ? null : new Tensor(h);
            }
        }

        public override string ToString()
        {
            if (IsDisposed) return "Tensor(disposed)";
            return $"Tensor(shape=[{string.Join(", ", shape)}], dtype={dtype}{(requires_grad ? ", requires_grad" : "")})";
        }

        // ------------------------------------------------------------------ data in and out
        /// <summary>Copies the elements out (row-major) into a new managed array; T must match the dtype.</summary>
        public unsafe T[] data<T>() where T : unmanaged
        {
            var want = DTypeOf<T>();
            var have = dtype;
            if (want != have) throw new TorchException($"data<{typeof(T).Name}>: tensor dtype is {have}, expected {want}");
            var result = new T[numel()];
            fixed (T* p = result) NativeMethods.zt_copy_to(Handle, p, (long)result.Length * sizeof(T));
            GC.KeepAlive(this);
            TorchException.Check();
            return result;
        }

        /// <summary>The value of a one-element tensor.</summary>
        public T item<T>() where T : unmanaged
        {
            if (typeof(T) == typeof(long) || typeof(T) == typeof(int))
            {
                var l = NativeMethods.zt_item_long(Handle);
                GC.KeepAlive(this);
                TorchException.Check();
                return typeof(T) == typeof(long) ? (T)(object)l : (T)(object)checked((int)l);
            }
            var d = NativeMethods.zt_item(Handle);
            GC.KeepAlive(this);
            TorchException.Check();
            if (typeof(T) == typeof(double)) return (T)(object)d;
            if (typeof(T) == typeof(float)) return (T)(object)(float)d;
            if (typeof(T) == typeof(bool)) return (T)(object)(d != 0);
            throw new NotSupportedException($"item<{typeof(T).Name}> is not supported");
        }

        /// <summary>Writes the raw little-endian bytes of the (contiguous) elements into <paramref name="dst"/>.</summary>
        internal unsafe void CopyBytesTo(Span<byte> dst)
        {
            fixed (byte* p = dst) NativeMethods.zt_copy_to(Handle, p, dst.Length);
            GC.KeepAlive(this);
            TorchException.Check();
        }

        // ------------------------------------------------------------------ autograd
        public void backward(Tensor? gradient = null, bool retain_graph = false)
        {
            NativeMethods.zt_backward(Handle, gradient?.Handle ?? IntPtr.Zero, retain_graph);
            GC.KeepAlive(this);
            GC.KeepAlive(gradient);
            TorchException.Check();
        }

        public Tensor detach() => Unary(this, NativeMethods.zt_detach);

        /// <summary>Clears this tensor's accumulated gradient (drops it when <paramref name="set_to_none"/>).</summary>
        public void zero_grad(bool set_to_none = true)
        {
            NativeMethods.zt_zero_grad(Handle, set_to_none);
            GC.KeepAlive(this);
            TorchException.Check();
        }

        // ------------------------------------------------------------------ call helpers
        // Each helper keeps its operands reachable until the native call returns: without GC.KeepAlive an
        // unreferenced temporary (x.exp().sum()) could be finalized, and freed, while libtorch reads it.
        internal static Tensor Unary(Tensor a, Func<IntPtr, IntPtr> f)
        {
            var r = f(a.Handle);
            GC.KeepAlive(a);
            return New(r);
        }

        internal static Tensor Binary(Tensor a, Tensor b, Func<IntPtr, IntPtr, IntPtr> f)
        {
            var r = f(a.Handle, b.Handle);
            GC.KeepAlive(a);
            GC.KeepAlive(b);
            return New(r);
        }

        internal static Tensor WithScalar(Tensor a, double s, Func<IntPtr, double, IntPtr> f)
        {
            var r = f(a.Handle, s);
            GC.KeepAlive(a);
            return New(r);
        }

        internal static void InPlace(Tensor a, Action<IntPtr> f)
        {
            f(a.Handle);
            GC.KeepAlive(a);
            TorchException.Check();
        }
    }

    /// <summary>A trainable tensor owned by a module: never joins a dispose scope; the module disposes it.</summary>
    public sealed class Parameter : Tensor
    {
        internal Parameter(IntPtr handle) : base(handle, joinScope: false) { }

        /// <summary>Makes a parameter from a tensor's values (copied, detached, requires_grad set).</summary>
        public Parameter(Tensor data, bool requires_grad = true) : this(TakeDetachedCopy(data))
        {
            this.requires_grad = requires_grad;
        }

        private static IntPtr TakeDetachedCopy(Tensor data)
        {
            var h = NativeMethods.zt_detach(data.Handle);
            TorchException.Check();
            var c = NativeMethods.zt_clone(h);
            NativeMethods.zt_free(h);
            GC.KeepAlive(data);
            TorchException.Check();
            return c;
        }
    }
}
