using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// Checks flow record times before they can move a host's event time (detection runs on event time, so one
/// record stamped in the future would make every later real flow "late"). Both ends are checked: a start after the
/// end is repaired to the end (the earlier time, so the repair never moves a clock forward), and a record ending
/// further ahead of the node's clock than <see cref="FutureToleranceMs"/> is re-stamped to end at the node's clock
/// with its duration kept. Records in the past are left alone, so replays of old captures work.
/// </summary>
/// <remarks>Allocation-free, one pass over the records; counters are plain fields owned by the caller's thread.</remarks>
public sealed class EventTimeGuard
{
    /// <summary>Default tolerance for exporter clocks running ahead of the node's: 5 minutes.</summary>
    public const long DefaultFutureToleranceMs = 5 * 60_000;

    /// <summary>Creates a guard.</summary>
    /// <param name="futureToleranceMs">How far ahead of the node's clock a flow may end (exporter clock skew and export delay).</param>
    public EventTimeGuard(long futureToleranceMs = DefaultFutureToleranceMs)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(futureToleranceMs);
        FutureToleranceMs = futureToleranceMs;
    }

    /// <summary>How far ahead of the node's clock a flow may end.</summary>
    public long FutureToleranceMs { get; }

    /// <summary>Records whose start was after their end, repaired (cumulative).</summary>
    public long StartAfterEnd { get; private set; }

    /// <summary>Records stamped too far ahead of the node's clock, re-stamped (cumulative).</summary>
    public long Future { get; private set; }

    /// <summary>
    /// Checks and repairs <paramref name="records"/> against the node's clock <paramref name="nowMs"/> (Unix ms);
    /// pass <see cref="long.MaxValue"/> where there is no live clock (offline analysis: only start and end are
    /// checked against each other).
    /// </summary>
    /// <returns>Records changed.</returns>
    public int Check(Span<FlowRecord> records, long nowMs)
    {
        int changed = 0;
        long latest = nowMs == long.MaxValue ? long.MaxValue : nowMs + FutureToleranceMs;
        for (int i = 0; i < records.Length; i++)
        {
            if (Check(ref records[i], nowMs, latest)) changed++;
        }

        return changed;
    }

    /// <summary>Checks and repairs one record; true when it was changed.</summary>
    public bool Check(ref FlowRecord r, long nowMs) =>
        Check(ref r, nowMs, nowMs == long.MaxValue ? long.MaxValue : nowMs + FutureToleranceMs);

    private bool Check(ref FlowRecord r, long nowMs, long latest)
    {
        bool changed = false;
        if (r.StartMs > r.EndMs)
        {
            r.StartMs = r.EndMs;
            StartAfterEnd++;
            changed = true;
        }

        if (r.EndMs > latest)
        {
            long duration = r.EndMs - r.StartMs;
            r.EndMs = nowMs;
            r.StartMs = nowMs - duration;
            Future++;
            changed = true;
        }

        return changed;
    }
}
