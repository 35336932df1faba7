using System.Diagnostics;

namespace Zoo.Core.Training;

/// <summary>
/// Wall time per named phase of a training step, for profiles (`zoo bench vfae --profile`). <see cref="Lap"/> charges
/// the time since the previous lap (or <see cref="Start"/>) to a phase; libtorch's CPU ops return when done, so the laps
/// are the ops' own times. A model that reports its phases implements <see cref="IPhaseTimed"/>.
/// </summary>
public sealed class PhaseClock
{
    private readonly Dictionary<string, double> ms = [];
    private readonly List<string> order = [];
    private long last = Stopwatch.GetTimestamp();

    public void Start() => last = Stopwatch.GetTimestamp();

    public void Lap(string phase)
    {
        long now = Stopwatch.GetTimestamp();
        if (!ms.ContainsKey(phase)) { ms[phase] = 0; order.Add(phase); }
        ms[phase] += (now - last) * 1000.0 / Stopwatch.Frequency;
        last = now;
    }

    /// <summary>Total milliseconds per phase, in the order the phases first ran.</summary>
    public IReadOnlyList<(string Phase, double Ms)> Totals => order.Select(p => (p, ms[p])).ToList();

    public void Clear() { ms.Clear(); order.Clear(); }
}

/// <summary>A model that laps a <see cref="PhaseClock"/> at the phases of its loss when one is set (null: no timing).</summary>
public interface IPhaseTimed
{
    PhaseClock? Clock { get; set; }
}
