namespace Zoo.Torch.Tests;

/// <summary>The check the pair thread's tests share: a computation gives the same bits with the pair as on one thread.</summary>
internal static class PairBits
{
    /// <summary>
    /// Runs <paramref name="run"/> with the pair on and off on 2 intra-op threads, the second time with OpenBLAS on
    /// one thread (whose bits each of the pair's halves gives), and checks that every array came out the same; restores
    /// the pair switch and the thread counts after.
    /// </summary>
    public static void ShouldMatchOneThread(Func<float[][]> run)
    {
        var was = Threading.PairThread;
        int threads = get_num_threads();
        set_num_threads(2); // the pair splits on 2 threads exactly (the suite's machines have 2 cores)
        try
        {
            Threading.PairThread = true;
            Threading.PairSplits.ShouldBeTrue();
            var on = run();
            int blas = Threading.BlasThreads;
            Threading.SetBlasThreads(1);
            float[][] off;
            try
            {
                Threading.PairThread = false;
                Threading.PairSplits.ShouldBeFalse();
                off = run();
            }
            finally
            {
                Threading.SetBlasThreads(blas);
            }
            on.Length.ShouldBe(off.Length);
            for (int i = 0; i < on.Length; i++)
                on[i].SequenceEqual(off[i]).ShouldBeTrue($"array {i} of {on.Length} differs with the pair thread");
        }
        finally
        {
            Threading.PairThread = was;
            set_num_threads(threads);
        }
    }
}
