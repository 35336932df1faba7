namespace Zoo.Torch.Tests;

/// <summary>Tests that read the process-wide live-tensor counter run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Serial
{
    public const string Name = "serial: live-tensor counter";
}

internal static class Live
{
    /// <summary>
    /// The live-tensor count once earlier tests' undisposed tensors have been finalized, so that a collection
    /// during the test cannot move the counter.
    /// </summary>
    public static long Settled()
    {
        long last;
        do
        {
            last = torch.LiveTensors;
            GC.Collect();
            GC.WaitForPendingFinalizers();
        } while (torch.LiveTensors != last);
        return last;
    }
}
