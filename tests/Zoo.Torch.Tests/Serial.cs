namespace Zoo.Torch.Tests;

/// <summary>Tests that read the process-wide live-tensor counter run alone, after the parallel ones.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class Serial
{
    public const string Name = "serial: live-tensor counter";
}
