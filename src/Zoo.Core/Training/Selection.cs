namespace Zoo.Core.Training;

/// <summary>
/// Model selection on the validation split, from a run's history alone (never the test split): the best epoch is the
/// one with the highest validation bound, its weights kept in <see cref="BestFolder"/> beside the last checkpoint.
/// </summary>
public static class Selection
{
    public const string BestFolder = "checkpoint-best";

    /// <summary>Whether the last epoch of <paramref name="history"/> has the best validation bound so far (the first best on ties).</summary>
    public static bool IsBest(IReadOnlyList<EpochMetrics> history) => history.Count > 0 && ReferenceEquals(Best(history), history[^1]);

    /// <summary>The best epoch so far, or null when no epoch has a validation bound.</summary>
    public static EpochMetrics? Best(IReadOnlyList<EpochMetrics> history) =>
        history.Where(m => m.ValidElbo is not null).Aggregate((EpochMetrics?)null, (best, m) => best is null || m.ValidElbo > best.ValidElbo ? m : best);

    /// <summary>The best epoch when <paramref name="patience"/> epochs have passed without a better one (stop), else null (go on; 0 = never stop).</summary>
    public static EpochMetrics? StopEarly(IReadOnlyList<EpochMetrics> history, int patience) =>
        patience > 0 && Best(history) is { } best && history[^1].Epoch - best.Epoch >= patience ? best : null;
}
