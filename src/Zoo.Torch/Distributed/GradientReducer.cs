using Zoo.Torch.Native;
using static Zoo.Torch.torch;

namespace Zoo.Torch.Distributed;

/// <summary>
/// Sums a model's gradients over the ranks of a <see cref="ProcessGroup"/>, overlapped with backward: buckets of about
/// <see cref="BucketBytes"/> (the last parameters first, as backward produces them) go out as soon as backward has
/// filled them (hooks on the parameters' gradient accumulators, in native/distributed.cpp), and <see cref="Finish"/>
/// waits for the rest. Each rank's gradients are scaled first (its share of the batch); a few extra values (the
/// step's loss, a stop request) are summed in the same round trip.
/// </summary>
public sealed unsafe class GradientReducer : IDisposable
{
    /// <summary>Small enough that the first buckets leave while backward is still busy with the first layers.</summary>
    public const long BucketBytes = 1 << 20;

    private readonly ProcessGroup group;
    private readonly IReadOnlyList<Parameter> parameters;
    private IntPtr handle;

    public GradientReducer(ProcessGroup group, IReadOnlyList<Parameter> parameters)
    {
        (this.group, this.parameters) = (group, parameters);
        var ps = parameters.Select(p => p.Handle).ToArray();
        fixed (IntPtr* pp = ps) handle = NativeMethods.zt_dist_reducer_new(group.Handle, pp, ps.Length, BucketBytes);
        GC.KeepAlive(parameters);
        ProcessGroup.Check();
    }

    private IntPtr Handle => handle != IntPtr.Zero ? handle : throw new ObjectDisposedException(nameof(GradientReducer));

    /// <summary>
    /// Before backward: this rank's gradients will be scaled by <paramref name="scale"/>, <paramref name="extra"/>
    /// summed with them; with <paramref name="overlap"/> false every bucket waits for <see cref="Finish"/>.
    /// </summary>
    public void Prepare(double scale, ReadOnlySpan<float> extra, bool overlap = true)
    {
        fixed (float* pe = extra) NativeMethods.zt_dist_reducer_prepare(Handle, scale, pe, extra.Length, overlap);
        ProcessGroup.Check();
    }

    /// <summary>After backward: every parameter's gradient is the sum over the ranks; <paramref name="extra"/> gets the summed values.</summary>
    public void Finish(Span<float> extra)
    {
        fixed (float* pe = extra) NativeMethods.zt_dist_reducer_finish(Handle, pe, extra.Length);
        GC.KeepAlive(parameters);
        GC.KeepAlive(group);
        ProcessGroup.Check();
    }

    /// <summary>The buckets, and how many of them left while the last step's backward was still running.</summary>
    public (int Buckets, int DuringBackward) Overlap
    {
        get
        {
            int during;
            var buckets = NativeMethods.zt_dist_reducer_buckets(Handle, &during);
            return (buckets, during);
        }
    }

    public void Dispose()
    {
        var h = Interlocked.Exchange(ref handle, IntPtr.Zero);
        if (h != IntPtr.Zero) NativeMethods.zt_dist_reducer_free(h);
    }
}
