using System.Diagnostics;

namespace Zoo.Core.Training;

/// <summary>
/// Wall time per named phase of a training step, for profiles (`zoo bench vfae --profile`). <see cref="Lap"/> charges
/// the time since the previous lap (or <see cref="Start"/>) to a phase; libtorch's CPU ops return when done, so the laps
/// are the ops' own times. A model that reports its phases implements <see cref="IPhaseTimed"/>.
/// </summary>
/// <param name="helperBusy">
/// A second thread's busy time so far (the pair thread's), charged to the phases as their wall time is: a phase whose
/// helper time is far below its wall time ran on one core.
/// </param>
public sealed class PhaseClock(Func<TimeSpan>? helperBusy = null)
{
    private readonly Dictionary<string, (double Ms, double HelperMs)> ms = [];
    private readonly List<string> order = [];
    private long last = Stopwatch.GetTimestamp();
    private TimeSpan lastHelper = helperBusy?.Invoke() ?? TimeSpan.Zero;

    public void Start()
    {
        last = Stopwatch.GetTimestamp();
        lastHelper = helperBusy?.Invoke() ?? TimeSpan.Zero;
    }

    public void Lap(string phase)
    {
        long now = Stopwatch.GetTimestamp();
        var helper = helperBusy?.Invoke() ?? TimeSpan.Zero;
        if (!ms.ContainsKey(phase)) { ms[phase] = (0, 0); order.Add(phase); }
        var (wall, helped) = ms[phase];
        ms[phase] = (wall + (now - last) * 1000.0 / Stopwatch.Frequency, helped + (helper - lastHelper).TotalMilliseconds);
        (last, lastHelper) = (now, helper);
    }

    /// <summary>Total milliseconds per phase, and the helper's busy milliseconds in it, in the order the phases first ran.</summary>
    public IReadOnlyList<(string Phase, double Ms, double HelperMs)> Totals => order.Select(p => (p, ms[p].Ms, ms[p].HelperMs)).ToList();

    public void Clear() { ms.Clear(); order.Clear(); }
}

/// <summary>A model that laps a <see cref="PhaseClock"/> at the phases of its loss when one is set (null: no timing).</summary>
public interface IPhaseTimed
{
    PhaseClock? Clock { get; set; }
}
