using Zoo.Torch.Native;
using static Zoo.Torch.torch;

namespace Zoo.Torch.Distributed;

/// <summary>
/// A collective failed: a peer was lost (the message names its rank), a collective timed out, or the rendezvous could
/// not be made. An <see cref="IOException"/>: like a broken file, it is the world outside the process that failed.
/// </summary>
public sealed class DistributedException(string message) : IOException(message);

/// <summary>
/// This process's place among the ranks of a data-parallel run, over libtorch's c10d: a TCPStore rendezvous at the
/// master's address and a Gloo process group (native/distributed.cpp), in the manner of torch.distributed. Every
/// collective waits at most the group's timeout; a lost peer ends it with a <see cref="DistributedException"/> that
/// names the lost rank.
/// </summary>
public sealed unsafe class ProcessGroup : IDisposable
{
    /// <summary>Gradients travel in flat buckets of about this size: Gloo reduces one while the next is flattened.</summary>
    public const long GradientBucketBytes = 4 << 20;

    private IntPtr handle;

    public int Rank { get; }
    public int WorldSize { get; }
    public TimeSpan Timeout { get; }

    private ProcessGroup(IntPtr handle, int rank, int worldSize, TimeSpan timeout) =>
        (this.handle, Rank, WorldSize, Timeout) = (handle, rank, worldSize, timeout);

    /// <summary>
    /// Joins the group (blocks until every rank has joined, at most <paramref name="timeout"/>). Rank 0 serves the
    /// rendezvous store unless <paramref name="agentStore"/> (a torchrun agent serves it; keys go under <paramref name="keyPrefix"/>).
    /// </summary>
    public static unsafe ProcessGroup Connect(string masterAddr, int masterPort, int rank, int worldSize, TimeSpan timeout,
        bool agentStore = false, string keyPrefix = "zoo/")
    {
        IntPtr h;
        fixed (byte* addr = System.Text.Encoding.UTF8.GetBytes(masterAddr + "\0"))
        fixed (byte* prefix = System.Text.Encoding.UTF8.GetBytes(keyPrefix + "\0"))
            h = NativeMethods.zt_dist_init(addr, masterPort, rank, worldSize, (long)timeout.TotalMilliseconds, !agentStore, prefix);
        Check();
        return new ProcessGroup(h, rank, worldSize, timeout);
    }

    /// <summary>Joins the group <paramref name="launch"/> describes (see <see cref="LaunchSettings.FromEnvironment"/>).</summary>
    public static ProcessGroup Connect(LaunchSettings launch) =>
        Connect(launch.MasterAddr, launch.MasterPort, launch.Rank, launch.WorldSize, launch.Timeout, launch.AgentStore, launch.KeyPrefix);

    private IntPtr Handle => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(ProcessGroup));

    private static void Check()
    {
        if (TorchException.Take() is { } message) throw new DistributedException(message);
    }

    /// <summary>
    /// Sums the parameters' gradients over the ranks, each rank's scaled by <paramref name="scale"/> first (its share of
    /// the global batch, so the sum is the global batch's mean gradient). <paramref name="extra"/> values are summed in
    /// the same round trip (the step's loss and stop request).
    /// </summary>
    public unsafe void AllReduceGradients(IReadOnlyList<Parameter> parameters, double scale, Span<float> extra)
    {
        var ps = new IntPtr[parameters.Count];
        for (int i = 0; i < ps.Length; i++) ps[i] = parameters[i].Handle;
        fixed (IntPtr* pp = ps)
        fixed (float* pe = extra)
            NativeMethods.zt_dist_allreduce_grads(Handle, pp, ps.Length, scale, pe, extra.Length, GradientBucketBytes);
        GC.KeepAlive(parameters);
        Check();
    }

    /// <summary>Sums tensors of one dtype over the ranks, in place.</summary>
    public void AllReduceSum(params Tensor[] tensors) => WithHandles(tensors, (h, n) => NativeMethods.zt_dist_allreduce_sum(Handle, h, n));

    /// <summary>The sums over the ranks of each of <paramref name="values"/> (float64).</summary>
    public double[] AllReduceSum(params double[] values)
    {
        using var t = tensor(values);
        AllReduceSum(t);
        return t.data<double>();
    }

    /// <summary>Rank <paramref name="root"/>'s tensors (one dtype, same shapes everywhere) into every rank's, in place.</summary>
    public void Broadcast(IReadOnlyList<Tensor> tensors, int root = 0) =>
        WithHandles(tensors, (h, n) => NativeMethods.zt_dist_broadcast(Handle, h, n, root));

    /// <summary>Rank <paramref name="root"/>'s bytes to every rank (<paramref name="data"/> is read on the root only).</summary>
    public byte[] Broadcast(byte[]? data, int root = 0)
    {
        using var length = tensor(new long[] { Rank == root ? data!.Length : 0 });
        Broadcast([length], root);
        var n = length.data<long>()[0];
        if (n == 0) return [];
        using var bytes = Rank == root ? tensor(data!) : zeros([n], ScalarType.Byte);
        Broadcast([bytes], root);
        return Rank == root ? data! : bytes.data<byte>();
    }

    /// <summary>Every rank's <paramref name="input"/> (same shape everywhere), stacked in rank order.</summary>
    public Tensor AllGather(Tensor input)
    {
        var h = NativeMethods.zt_dist_allgather(Handle, input.Handle);
        GC.KeepAlive(input);
        Check();
        return Tensor.New(h);
    }

    /// <summary>Every rank's bytes (the same length everywhere), in rank order.</summary>
    public byte[][] AllGather(byte[] data)
    {
        using var local = tensor(data);
        using var all = AllGather(local);
        var flat = all.data<byte>();
        return Enumerable.Range(0, WorldSize).Select(r => flat.AsSpan(r * data.Length, data.Length).ToArray()).ToArray();
    }

    public void Barrier()
    {
        NativeMethods.zt_dist_barrier(Handle);
        Check();
    }

    private unsafe void WithHandles(IReadOnlyList<Tensor> tensors, NativeCall call)
    {
        var hs = new IntPtr[tensors.Count];
        for (int i = 0; i < hs.Length; i++) hs[i] = tensors[i].Handle;
        fixed (IntPtr* p = hs) call(p, hs.Length);
        GC.KeepAlive(tensors);
        Check();
    }

    private unsafe delegate void NativeCall(IntPtr* handles, int n);

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref handle, IntPtr.Zero);
        if (h != IntPtr.Zero) NativeMethods.zt_dist_free(h);
    }
}
