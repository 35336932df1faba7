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

    /// <summary>
    /// The pair thread (on unless ZOO_PAIR_THREAD=0; used on 2 threads): a native thread that takes half of each fused linear layer
    /// (its GEMM, bias and activation, forward and backward) and half of Adam's update, while the calling thread does
    /// the other half, each half on one OpenBLAS thread. OpenBLAS's own threads would share only the GEMMs and leave
    /// a core waiting through every elementwise pass. The results are the bits of one OpenBLAS thread doing all of it
    /// (tested); OpenBLAS's own 2 threads block K differently and differ from them in the last bits.
    /// </summary>
    public static bool PairThread
    {
        get => NativeMethods.zt_get_pair();
        set => NativeMethods.zt_set_pair(value);
    }

    /// <summary>
    /// The calling thread's share of each split over the pair (0.5 at the start): after every split it moves towards
    /// the point where both halves end together (clamped to [0.3, 0.7]), since one vCPU of a VM can run a tenth or more
    /// slower than the other for minutes. Setting it pins it (<c>ZOO_PAIR_SHARE</c> does so from the start); setting 0
    /// lets it move again. The results are the same bits at any share (tested).
    /// </summary>
    public static double PairShare
    {
        get => NativeMethods.zt_pair_share();
        set => NativeMethods.zt_pair_set_share(value);
    }

    /// <summary>
    /// Sends the pair thread to sleep now rather than after its spin (it wakes for the next split): before timing other
    /// threads' work on the second core, such as OpenBLAS's own second thread, which a spinning pair thread would hold back.
    /// </summary>
    public static void ParkPair() => NativeMethods.zt_pair_park();

    /// <summary>
    /// Whether this thread's layers split over the pair now: <see cref="PairThread"/> on, OpenBLAS loaded and libtorch on
    /// exactly 2 threads (with more, OpenBLAS's own threads take the GEMMs, as before; a lane has 1).
    /// </summary>
    public static bool PairSplits => NativeMethods.zt_pair_available();

    /// <summary>
    /// A training loop on this thread, until disposed (on this thread): where the pair splits, libtorch's own parallel
    /// ops run on this thread alone, leaving the second core to the pair (measured on the VFAE's step: 7.6–7.9 ms
    /// against 8.1–8.6 with libtorch's OpenMP thread woken for them). <see cref="torch.get_num_threads"/> reads 1
    /// inside; elsewhere nothing changes.
    /// </summary>
    public static PairLoopScope PairLoop() => new(NativeMethods.zt_pair_loop_enter());

    /// <summary>
    /// What the pair thread did since the last <see cref="TakePairStatistics"/> (process-wide): where a step's second core
    /// idles, measured rather than guessed from wall times on a noisy machine.
    /// </summary>
    /// <param name="Splits">Calls split over the pair.</param>
    /// <param name="WakeUps">Splits that found it asleep (after its spin) and had to wake it.</param>
    /// <param name="LateStarts">Splits whose second half started more than 50 µs after it was posted.</param>
    /// <param name="CallerWait">The callers' time waiting for second halves after finishing their own.</param>
    /// <param name="PairBusy">The pair thread's time running second halves.</param>
    /// <param name="TakenBack">Second halves the caller ran itself: not started when its own half was done (the pair
    /// thread asleep, or its vCPU held by the host).</param>
    /// <param name="CallerShare">The caller's share of the splits when the statistics were taken (<see cref="PairShare"/>).</param>
    public sealed record PairStatistics(long Splits, long WakeUps, long LateStarts, TimeSpan CallerWait, TimeSpan PairBusy, long TakenBack, double CallerShare)
    {
        /// <summary>One line of per-step figures, for <paramref name="steps"/> steps that took <paramref name="elapsed"/>.</summary>
        public string Describe(int steps, TimeSpan elapsed) => Splits == 0
            ? "pair: no split (one thread, or the pair off)"
            : string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"pair: {(double)Splits / steps:F1} splits a step ({(double)WakeUps / steps:F2} woke it, {(double)LateStarts / steps:F2} started > 50 us late, " +
                $"{(double)TakenBack / steps:F2} taken back by the caller); " +
                $"its thread busy {100 * PairBusy / elapsed:F0} % of the time; the caller waited {CallerWait.TotalMicroseconds / Splits:F1} us a split for the second half; " +
                $"the caller's share {CallerShare:F2}");
    }

    /// <summary>The pair thread's busy time since the statistics were last taken, leaving them as they are (for <c>PhaseClock</c>).</summary>
    public static unsafe TimeSpan PairBusySoFar()
    {
        var v = stackalloc long[6];
        NativeMethods.zt_pair_stats(v, reset: false);
        return TimeSpan.FromTicks(v[4] / 100);
    }

    /// <summary>The pair's statistics since the last call (or the start), and zeroes them.</summary>
    public static unsafe PairStatistics TakePairStatistics()
    {
        var v = stackalloc long[6];
        NativeMethods.zt_pair_stats(v, reset: true);
        return new PairStatistics(v[0], v[1], v[2], TimeSpan.FromTicks(v[3] / 100), TimeSpan.FromTicks(v[4] / 100), v[5], PairShare);
    }

    /// <summary>The scope <see cref="PairLoop"/> opens.</summary>
    public readonly struct PairLoopScope(bool entered) : IDisposable
    {
        public void Dispose()
        {
            if (entered) NativeMethods.zt_pair_loop_leave();
        }
    }

    /// <summary>Sets OpenBLAS's own thread count; false when the loaded BLAS is not OpenBLAS.</summary>
    public static bool SetBlasThreads(int n) => NativeMethods.zt_blas_set_num_threads(n) != 0;

    /// <summary>
    /// Runs <paramref name="first"/> on this thread and <paramref name="second"/> on another at the same time, each
    /// with one intra-op and one BLAS thread, when libtorch may use 2 threads or more; one after the other otherwise.
    /// For two independent pieces of GEMM-heavy work with elementwise passes between the GEMMs (importance sampling's
    /// decoder rows): split this way both cores run the elementwise passes too, where libtorch's parallel ops and
    /// OpenBLAS's threads would share only the GEMMs and leave a core waiting out the rest. OpenBLAS's thread count is
    /// process-wide: other threads' GEMMs run on one thread meanwhile.
    /// </summary>
    public static (T First, T Second) SideBySide<T>(Func<T> first, Func<T> second)
    {
        if (onLane || torch.get_num_threads() < 2) return (first(), second());
        bool ftz = FlushDenormal;
        EnterLanes();
        try
        {
            var other = new TaskCompletionSource<T>(TaskCreationOptions.RunContinuationsAsynchronously);
            // The caller's execution context travels with the work, so its dispose scope and grad mode apply there too.
            var context = ExecutionContext.Capture();
            LaneQueue.Value.Add(() =>
            {
                try { other.SetResult(InLane(context, second, ftz)); }
                catch (Exception e) { other.SetException(e); }
            });
            T mine;
            try
            {
                mine = InLane(first, ftz);
            }
            catch
            {
                // The second lane may still be using the caller's tensors: let it finish before they are freed.
                ((IAsyncResult)other.Task).AsyncWaitHandle.WaitOne();
                throw;
            }
            return (mine, other.Task.GetAwaiter().GetResult());
        }
        finally
        {
            LeaveLanes();
        }
    }

    /// <summary><see cref="InLane{T}(Func{T}, bool)"/> inside the caller's execution context (its AsyncLocals).</summary>
    private static T InLane<T>(ExecutionContext? context, Func<T> work, bool ftz)
    {
        if (context is null) return InLane(work, ftz);
        T result = default!;
        ExecutionContext.Run(context, _ => result = InLane(work, ftz), null);
        return result;
    }

    // The second lane's thread: one long-lived thread, so a lane never waits for the thread pool (a busy pool ran it
    // inline after the first lane, one after the other). A lane that itself calls SideBySide runs both parts in turn.
    [ThreadStatic] private static bool onLane;
    private static readonly Lazy<System.Collections.Concurrent.BlockingCollection<Action>> LaneQueue = new(() =>
    {
        var queue = new System.Collections.Concurrent.BlockingCollection<Action>();
        new Thread(() =>
        {
            onLane = true;
            foreach (var work in queue.GetConsumingEnumerable()) work();
        }) { IsBackground = true, Name = "zoo side-by-side lane" }.Start();
        return queue;
    });

    // OpenBLAS's thread count is process-wide: the first holder (a SideBySide, or a layer on the pair thread) sets it
    // to 1 and the last to finish puts back what it was, so overlapping calls (tests run in parallel) never leave it at
    // 1. The count is kept natively, where the pair's layers hold it too.
    private static readonly object lanesGate = new();
    private static int lanesOpen;
    private static IntPtr lanesHolder;

    private static void EnterLanes()
    {
        lock (lanesGate)
            if (lanesOpen++ == 0) lanesHolder = NativeMethods.zt_lanes_enter();
    }

    private static void LeaveLanes()
    {
        lock (lanesGate)
            if (--lanesOpen == 0) NativeMethods.zt_lanes_leave(lanesHolder);
    }

    /// <summary>Runs <paramref name="work"/> with one intra-op thread and the splitting thread's flush-to-zero mode, then restores this thread's own.</summary>
    private static T InLane<T>(Func<T> work, bool flushDenormal)
    {
        int threads = torch.get_num_threads();
        bool was = FlushDenormal;
        NativeMethods.zt_set_lane(1, flushDenormal);
        TorchException.Check();
        try
        {
            return work();
        }
        finally
        {
            NativeMethods.zt_set_lane(threads, was);
        }
    }

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
