namespace Zoo.Torch.Tests;

/// <summary>The check the pair thread's tests share: a computation gives the same bits with the pair as on one thread.</summary>
internal static class PairBits
{
    /// <summary>
    /// Runs <paramref name="run"/> with the pair on, its caller's share pinned at each end of its range and at the
    /// middle (the cuts move with it), and off, on 2 intra-op threads, the last time with OpenBLAS on one thread (whose
    /// bits each of the pair's halves gives), and checks that every array came out the same each time; restores the
    /// pair switch, its moving share and the thread counts after.
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
            var shares = new[] { 0.3, 0.5, 0.7 };
            var on = shares.Select(share =>
            {
                Threading.PairShare = share;
                Threading.PairShare.ShouldBe(share, 1e-6);
                return run();
            }).ToList();
            Threading.PairShare = 0; // moving again
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
            for (int s = 0; s < shares.Length; s++)
            {
                on[s].Length.ShouldBe(off.Length);
                for (int i = 0; i < off.Length; i++)
                    on[s][i].SequenceEqual(off[i]).ShouldBeTrue($"array {i} of {off.Length} differs with the pair thread at the caller's share {shares[s]}");
            }
        }
        finally
        {
            Threading.PairThread = was;
            Threading.PairShare = 0;
            set_num_threads(threads);
        }
    }
}
