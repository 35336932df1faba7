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
}
