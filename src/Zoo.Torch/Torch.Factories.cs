using Zoo.Torch.Native;

namespace Zoo.Torch;

// Tensor creation, TorchSharp's torch.* names and argument order.
public static unsafe partial class torch
{
    private delegate IntPtr ShapeFactory(long* dims, int n, int dtype, bool requiresGrad);

    private static Tensor FromShape(long[] size, ScalarType dtype, bool requires_grad, ShapeFactory f)
    {
        fixed (long* p = size) return Tensor.New(f(p, size.Length, (int)dtype, requires_grad));
    }

    public static Tensor empty(long[] size, ScalarType dtype = float32, bool requires_grad = false) => FromShape(size, dtype, requires_grad, NativeMethods.zt_empty);
    public static Tensor zeros(long[] size, ScalarType dtype = float32, bool requires_grad = false) => FromShape(size, dtype, requires_grad, NativeMethods.zt_zeros);
    public static Tensor ones(long[] size, ScalarType dtype = float32, bool requires_grad = false) => FromShape(size, dtype, requires_grad, NativeMethods.zt_ones);
    public static Tensor zeros(params long[] size) => zeros(size, float32);
    public static Tensor ones(params long[] size) => ones(size, float32);

    public static Tensor full(long[] size, double value, ScalarType dtype = float32, bool requires_grad = false)
    {
        fixed (long* p = size) return Tensor.New(NativeMethods.zt_full(p, size.Length, value, (int)dtype, requires_grad));
    }

    public static Tensor zeros_like(Tensor t) => zeros(t.shape, t.dtype);
    public static Tensor ones_like(Tensor t) => ones(t.shape, t.dtype);

    public static Tensor arange(double start, double end, double step = 1, ScalarType dtype = int64) =>
        Tensor.New(NativeMethods.zt_arange(start, end, step, (int)dtype));

    public static Tensor arange(long end) => arange(0, end);

    /// <summary>Standard normal samples; pass a <see cref="Generator"/> for reproducible, independent streams.</summary>
    public static Tensor randn(long[] size, Generator? generator = null, ScalarType dtype = float32)
    {
        fixed (long* p = size) return Rand(NativeMethods.zt_randn(p, size.Length, (int)dtype, generator?.Handle ?? IntPtr.Zero), generator);
    }

    /// <summary>Uniform samples on [0, 1).</summary>
    public static Tensor rand(long[] size, Generator? generator = null, ScalarType dtype = float32)
    {
        fixed (long* p = size) return Rand(NativeMethods.zt_rand(p, size.Length, (int)dtype, generator?.Handle ?? IntPtr.Zero), generator);
    }

    /// <summary>Integers uniform on [low, high).</summary>
    public static Tensor randint(long low, long high, long[] size, Generator? generator = null, ScalarType dtype = int64)
    {
        fixed (long* p = size) return Rand(NativeMethods.zt_randint(low, high, p, size.Length, (int)dtype, generator?.Handle ?? IntPtr.Zero), generator);
    }

    /// <summary>A random permutation of 0..n-1 (int64), e.g. for seeded shuffling.</summary>
    public static Tensor randperm(long n, Generator? generator = null) =>
        Rand(NativeMethods.zt_randperm(n, generator?.Handle ?? IntPtr.Zero), generator);

    /// <summary>
    /// uint8 codes [R, W] as float32 rows [B, W]: row b is codes[<paramref name="through"/>[<paramref name="rows"/>[b]]]
    /// (without <paramref name="through"/>, codes[rows[b]]; without <paramref name="rows"/>, every row), its first
    /// <paramref name="scaledColumns"/> columns divided by <paramref name="divisor"/>, the rest as they are. One pass,
    /// with the values of index_select, to(float32) and the division.
    /// </summary>
    public static Tensor widen_rows(Tensor codes, long scaledColumns, double divisor, Tensor? rows = null, Tensor? through = null)
    {
        var r = NativeMethods.zt_widen_rows(codes.Handle, rows?.Handle ?? IntPtr.Zero, through?.Handle ?? IntPtr.Zero, scaledColumns, divisor);
        GC.KeepAlive(codes); GC.KeepAlive(rows); GC.KeepAlive(through);
        return Tensor.New(r);
    }

    /// <summary>Draws 0/1 with probabilities <paramref name="p"/> (same dtype as p), e.g. stochastic binarisation.</summary>
    public static Tensor bernoulli(Tensor p, Generator? generator = null)
    {
        var r = NativeMethods.zt_bernoulli(p.Handle, generator?.Handle ?? IntPtr.Zero);
        GC.KeepAlive(p);
        return Rand(r, generator);
    }

    /// <summary>libtorch's own bernoulli (each draw a call into the generator), which <see cref="bernoulli"/> must match.</summary>
    internal static Tensor bernoulli_libtorch(Tensor p, Generator? generator = null)
    {
        var r = NativeMethods.zt_bernoulli_libtorch(p.Handle, generator?.Handle ?? IntPtr.Zero);
        GC.KeepAlive(p);
        return Rand(r, generator);
    }

    /// <summary>Whether float32 <see cref="randn"/> draws inline (it checked once that it draws libtorch's numbers here).</summary>
    internal static bool randn_inline => NativeMethods.zt_randn_inline();

    /// <summary>libtorch's own randn (each uniform a call into the generator), which float32 <see cref="randn"/> must match.</summary>
    internal static Tensor randn_libtorch(long[] size, Generator? generator = null)
    {
        fixed (long* p = size) return Rand(NativeMethods.zt_randn_libtorch(p, size.Length, generator?.Handle ?? IntPtr.Zero), generator);
    }

    private static Tensor Rand(IntPtr h, Generator? g)
    {
        GC.KeepAlive(g);
        return Tensor.New(h);
    }

    /// <summary>A new tensor holding a copy of <paramref name="data"/> with the given shape (default: 1-D).</summary>
    public static Tensor tensor<T>(ReadOnlySpan<T> data, long[]? shape = null, bool requires_grad = false) where T : unmanaged
    {
        shape ??= [data.Length];
        long n = 1;
        foreach (var d in shape) n *= d;
        if (n != data.Length)
            throw new ArgumentException($"tensor: {data.Length} values do not fill shape [{string.Join(", ", shape)}] ({n} elements)");
        fixed (T* pd = data)
        fixed (long* ps = shape)
            return Tensor.New(NativeMethods.zt_from_blob(pd, ps, shape.Length, (int)DTypeOf<T>(), requires_grad));
    }

    public static Tensor tensor<T>(T[] data, long[]? shape = null, bool requires_grad = false) where T : unmanaged =>
        tensor((ReadOnlySpan<T>)data, shape, requires_grad);

    public static Tensor tensor(float[,] data, bool requires_grad = false)
    {
        var flat = new float[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, data.Length * sizeof(float));
        return tensor(flat, [data.GetLength(0), data.GetLength(1)], requires_grad);
    }

    public static Tensor tensor(double[,] data, bool requires_grad = false)
    {
        var flat = new double[data.Length];
        Buffer.BlockCopy(data, 0, flat, 0, data.Length * sizeof(double));
        return tensor(flat, [data.GetLength(0), data.GetLength(1)], requires_grad);
    }

    /// <summary>A 0-d tensor.</summary>
    public static Tensor scalar_tensor(double value, ScalarType dtype = float32) => full([], value, dtype);

    /// <summary>Builds a tensor from raw little-endian bytes (safetensors loading).</summary>
    internal static Tensor FromBytes(ReadOnlySpan<byte> bytes, long[] shape, ScalarType dtype)
    {
        fixed (byte* pd = bytes)
        fixed (long* ps = shape)
            return Tensor.New(NativeMethods.zt_from_blob(pd, ps, shape.Length, (int)dtype, false));
    }

    // ------------------------------------------------------------------ threads and build info
    /// <summary>Sets libtorch's intra-op thread count (default: the machine's cores).</summary>
    public static void set_num_threads(int n)
    {
        if (n < 1) throw new ArgumentOutOfRangeException(nameof(n), n, "thread count must be at least 1");
        NativeMethods.zt_set_num_threads(n);
        TorchException.Check();
    }

    public static int get_num_threads() => NativeMethods.zt_get_num_threads();

    public static string version => System.Runtime.InteropServices.Marshal.PtrToStringUTF8(NativeMethods.zt_version()) ?? "?";
}
