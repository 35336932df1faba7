namespace Zoo.Torch.Tests;

/// <summary>
/// The shim's at::parallel_for must reach libtorch's intra-op threads: compiled without -fopenmp it ran inline, so
/// the flush-denormal setter never reached the pool threads. Serial: it flips FTZ on threads other tests use.
/// </summary>
[Collection(Serial.Name)]
public class ParallelTests
{
    [Fact]
    public void Shim_parallel_for_runs_on_every_intra_op_thread_and_flush_denormal_reaches_them()
    {
        var was = Threading.FlushDenormal;
        try
        {
            Threading.SetFlushDenormal(true);
            var (threads, flushing) = Threading.ParallelProbe();
            threads.ShouldBe(get_num_threads());
            flushing.ShouldBe(threads);
            Threading.SetFlushDenormal(false);
            Threading.ParallelProbe().FlushingThreads.ShouldBe(0);
        }
        finally
        {
            Threading.SetFlushDenormal(was);
        }
    }

    /// <summary>
    /// SideBySide: two lanes on two threads, each with one intra-op and one OpenBLAS thread and the caller's flush-to-zero
    /// mode; afterwards every setting is back, also after a call nested in a lane (the OpenBLAS count is process-wide).
    /// </summary>
    [Fact]
    public void Side_by_side_lanes_run_on_one_thread_each_and_leave_the_settings_as_they_were()
    {
        int threads = get_num_threads(), blas = Threading.BlasThreads;
        var was = Threading.FlushDenormal;
        try
        {
            Threading.SetFlushDenormal(true);
            (int Threads, int Blas, bool Ftz, int Id) Probe() =>
                (get_num_threads(), Threading.BlasThreads, Threading.FlushDenormal, Environment.CurrentManagedThreadId);
            var (first, second) = Threading.SideBySide(Probe, () => Threading.SideBySide(Probe, Probe).First);
            if (threads >= 2)
            {
                first.Threads.ShouldBe(1);
                second.Threads.ShouldBe(1);
                first.Blas.ShouldBe(1);
                second.Blas.ShouldBe(1);
                first.Id.ShouldBe(Environment.CurrentManagedThreadId);
                second.Id.ShouldNotBe(first.Id);
            }
            first.Ftz.ShouldBeTrue();
            second.Ftz.ShouldBeTrue();
            get_num_threads().ShouldBe(threads);
            Threading.BlasThreads.ShouldBe(blas);
            Threading.FlushDenormal.ShouldBeTrue();
        }
        finally
        {
            Threading.SetFlushDenormal(was);
        }
    }

    /// <summary>A lane's exception reaches the caller; when the first lane throws, the second has finished first (it may be using the caller's tensors).</summary>
    [Fact]
    public void Side_by_side_passes_either_lanes_exception_on_and_never_leaves_the_second_lane_running()
    {
        int blas = Threading.BlasThreads;
        bool secondDone = false;
        Should.Throw<InvalidOperationException>(() => Threading.SideBySide<int>(
            () => throw new InvalidOperationException("first"),
            () => { Thread.Sleep(200); secondDone = true; return 2; })).Message.ShouldBe("first");
        secondDone.ShouldBeTrue();
        Should.Throw<InvalidOperationException>(() => Threading.SideBySide<int>(
            () => 1, () => throw new InvalidOperationException("second"))).Message.ShouldBe("second");
        Threading.BlasThreads.ShouldBe(blas);
        Threading.SideBySide(() => 1, () => 2).ShouldBe((1, 2)); // the lane's thread survives a lane's exception
    }
}
