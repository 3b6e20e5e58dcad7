using FlowActors.Protocols;

namespace FlowActors.Detection.Tests;

/// <summary>Builders for synthetic observations. Times are unix ms; <see cref="T0"/> is aligned to a 5-minute window.</summary>
internal static class Traffic
{
    public const ushort Syn = 0x02, Ack = 0x10, Rst = 0x04, Fin = 0x01, Psh = 0x08;

    /// <summary>A completed TCP conversation's cumulative flags (FIN, SYN, PSH, ACK).</summary>
    public const ushort Completed = Fin | Syn | Psh | Ack;

    /// <summary>2027-01-15T08:00:00Z, a multiple of 5 minutes.</summary>
    public const long T0 = 1_800_000_000_000;

    public const long Minute = 60_000;

    public static readonly FlowAddress Host = FlowAddress.Parse("10.0.0.5");

    public static FlowAddress Ip(string text) => FlowAddress.Parse(text);

    public static bool IsInternal(FlowAddress a) => NetworkClassifier.Default.IsMonitored(a);

    /// <summary>The host sends a record to <paramref name="peer"/>.</summary>
    public static FlowObservation Out(
        FlowAddress peer, ushort peerPort, ushort localPort = 50_000, byte proto = 6, ushort flags = Completed,
        ulong packets = 10, ulong bytes = 1_000, long startMs = T0, long durationMs = 100, FlowAddress? host = null) =>
        new(host ?? Host, peer, localPort, peerPort, proto, flags, true, IsInternal(peer), packets, bytes, startMs, startMs + durationMs);

    /// <summary>The host receives a record from <paramref name="peer"/>.</summary>
    public static FlowObservation In(
        FlowAddress peer, ushort localPort, ushort peerPort = 50_000, byte proto = 6, ushort flags = Completed,
        ulong packets = 10, ulong bytes = 1_000, long startMs = T0, long durationMs = 100, FlowAddress? host = null) =>
        new(host ?? Host, peer, localPort, peerPort, proto, flags, false, IsInternal(peer), packets, bytes, startMs, startMs + durationMs);

    /// <summary>Settings with no learning period (for rule tests) unless given.</summary>
    public static DetectionSettings Settings(TimeSpan? learning = null)
    {
        var s = new DetectionSettings { LearningPeriod = learning ?? TimeSpan.Zero };
        return s;
    }

    /// <summary>Feeds observations and advances well past their last window; returns every alert.</summary>
    public static List<Alert> Run(HostBehavior h, IEnumerable<FlowObservation> observations, long? advanceTo = null)
    {
        var alerts = new List<Alert>();
        long last = 0;
        foreach (var o in observations)
        {
            h.Observe(in o, alerts);
            last = Math.Max(last, o.EndMs);
        }

        h.AdvanceTo(advanceTo ?? last + (20 * Minute), alerts);
        return alerts;
    }
}
