using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>A host's baseline features, counted per window.</summary>
public enum BaselineFeature
{
    /// <summary>Bytes the host sent.</summary>
    BytesOut,
    /// <summary>Bytes the host received.</summary>
    BytesIn,
    /// <summary>Packets the host sent.</summary>
    PacketsOut,
    /// <summary>Packets the host received.</summary>
    PacketsIn,
    /// <summary>Flow records with the host as source.</summary>
    FlowsOut,
    /// <summary>Flow records with the host as destination.</summary>
    FlowsIn,
    /// <summary>Distinct peers the host sent to.</summary>
    PeersOut,
    /// <summary>Distinct peers the host received from.</summary>
    PeersIn,
    /// <summary>Distinct (protocol, port) services the host connected to.</summary>
    PortsOut,
    /// <summary>Failed or unanswered TCP attempts the host made.</summary>
    FailedOut,
    /// <summary>Failed or unanswered (half-open) TCP attempts made against the host.</summary>
    FailedIn,
    /// <summary>Distinct sources of <see cref="FailedIn"/>.</summary>
    FailedInSources,
    /// <summary>Bytes the host sent to external (unmonitored) peers.</summary>
    ExternalBytesOut,
    /// <summary>DNS requests (flow records to port 53) the host made.</summary>
    DnsFlows,
    /// <summary>Bytes of the host's DNS requests.</summary>
    DnsBytes,
}

/// <summary>Counters and sketches of one open event-time window.</summary>
internal sealed class WindowState
{
    public const int FeatureCount = 15;

    public long Index = -1;
    public ulong BytesOut, BytesIn, PacketsOut, PacketsIn, ExternalBytesOut, DnsBytes;

    /// <summary>Bytes to external peers on connections the host initiated (a server's replies excluded).</summary>
    public ulong InitiatedExternalBytesOut;
    public uint FlowsOut, FlowsIn, FailedOut, FailedIn, DnsFlows, NewAdminPeers;
    public DistinctSketch PeersOut, PeersIn, PortsOut, FailedInSources, FailedInPorts;
    public ScanTable? OutByTarget, InBySource, Sweeps;
    public TallyTable? Brute, TopExternal, TopDns, Intel, NewAdmin, Rare;
    public BurstTable? Bursts;

    /// <summary>What <see cref="HeapBytes"/> gave when the window went into <see cref="WindowPool"/>.</summary>
    public int PooledBytes;

    public bool IsOpen => Index >= 0;

    /// <summary>Lines of this object (its counters, sketches and table references span about 340 bytes).</summary>
    public const int ObjectLines = 6;

    public void Features(Span<double> x)
    {
        x[(int)BaselineFeature.BytesOut] = BytesOut;
        x[(int)BaselineFeature.BytesIn] = BytesIn;
        x[(int)BaselineFeature.PacketsOut] = PacketsOut;
        x[(int)BaselineFeature.PacketsIn] = PacketsIn;
        x[(int)BaselineFeature.FlowsOut] = FlowsOut;
        x[(int)BaselineFeature.FlowsIn] = FlowsIn;
        x[(int)BaselineFeature.PeersOut] = PeersOut.Count;
        x[(int)BaselineFeature.PeersIn] = PeersIn.Count;
        x[(int)BaselineFeature.PortsOut] = PortsOut.Count;
        x[(int)BaselineFeature.FailedOut] = FailedOut;
        x[(int)BaselineFeature.FailedIn] = FailedIn;
        x[(int)BaselineFeature.FailedInSources] = FailedInSources.Count;
        x[(int)BaselineFeature.ExternalBytesOut] = ExternalBytesOut;
        x[(int)BaselineFeature.DnsFlows] = DnsFlows;
        x[(int)BaselineFeature.DnsBytes] = DnsBytes;
    }

    /// <summary>Empties the window for reuse, keeping its arrays and tables (it goes back to <see cref="WindowPool"/>).</summary>
    public void Reset()
    {
        Index = -1;
        BytesOut = BytesIn = PacketsOut = PacketsIn = ExternalBytesOut = DnsBytes = InitiatedExternalBytesOut = 0;
        FlowsOut = FlowsIn = FailedOut = FailedIn = DnsFlows = NewAdminPeers = 0;
        PeersOut.Clear();
        PeersIn.Clear();
        PortsOut.Clear();
        FailedInSources.Clear();
        FailedInPorts.Clear();
        OutByTarget?.Clear();
        InBySource?.Clear();
        Sweeps?.Clear();
        Brute?.Clear();
        TopExternal?.Clear();
        TopDns?.Clear();
        Intel?.Clear();
        NewAdmin?.Clear();
        Rare?.Clear();
        Bursts?.Clear();
    }

    public int HeapBytes()
    {
        int b = 16 + 8 + 7 * 8 + 6 * 4 + 5 * 24 + 10 * 8;
        b += PeersOut.HeapBytes + PeersIn.HeapBytes + PortsOut.HeapBytes + FailedInSources.HeapBytes + FailedInPorts.HeapBytes;
        b += (OutByTarget?.HeapBytes() ?? 0) + (InBySource?.HeapBytes() ?? 0) + (Sweeps?.HeapBytes() ?? 0);
        b += (Brute?.HeapBytes() ?? 0) + (TopExternal?.HeapBytes() ?? 0) + (TopDns?.HeapBytes() ?? 0);
        b += (Intel?.HeapBytes() ?? 0) + (NewAdmin?.HeapBytes() ?? 0) + (Rare?.HeapBytes() ?? 0) + (Bursts?.HeapBytes() ?? 0);
        return b;
    }

    public void Write(ref LittleEndianWriter w)
    {
        w.I64(Index);
        if (Index < 0) return;
        w.U64(BytesOut); w.U64(BytesIn); w.U64(PacketsOut); w.U64(PacketsIn); w.U64(ExternalBytesOut); w.U64(DnsBytes);
        w.U32(FlowsOut); w.U32(FlowsIn); w.U32(FailedOut); w.U32(FailedIn); w.U32(DnsFlows); w.U32(NewAdminPeers);
        PeersOut.Write(ref w);
        PeersIn.Write(ref w);
        PortsOut.Write(ref w);
        FailedInSources.Write(ref w);
        FailedInPorts.Write(ref w);
        WriteScan(ref w, OutByTarget);
        WriteScan(ref w, InBySource);
        WriteScan(ref w, Sweeps);
        WriteTally(ref w, Brute);
        WriteTally(ref w, TopExternal);
        WriteTally(ref w, TopDns);
        WriteTally(ref w, Intel);
        WriteTally(ref w, NewAdmin);
        WriteTally(ref w, Rare);
        w.U64(InitiatedExternalBytesOut);
        bool bursts = Bursts is { Count: > 0 };
        w.Bool(bursts);
        if (bursts) Bursts!.Write(ref w);
    }

    public void Read(ref LittleEndianReader r, byte version)
    {
        Reset();
        Index = r.I64();
        if (Index < 0)
        {
            Index = -1;
            return;
        }

        BytesOut = r.U64(); BytesIn = r.U64(); PacketsOut = r.U64(); PacketsIn = r.U64(); ExternalBytesOut = r.U64(); DnsBytes = r.U64();
        FlowsOut = r.U32(); FlowsIn = r.U32(); FailedOut = r.U32(); FailedIn = r.U32(); DnsFlows = r.U32(); NewAdminPeers = r.U32();
        PeersOut.Read(ref r);
        PeersIn.Read(ref r);
        PortsOut.Read(ref r);
        FailedInSources.Read(ref r);
        FailedInPorts.Read(ref r);
        OutByTarget = ReadScan(ref r);
        InBySource = ReadScan(ref r);
        Sweeps = ReadScan(ref r);
        Brute = ReadTally(ref r, CompiledSettings.TallyEntries);
        TopExternal = ReadTally(ref r, CompiledSettings.TopExternalEntries);
        TopDns = ReadTally(ref r, CompiledSettings.TopDnsEntries);
        Intel = ReadTally(ref r, CompiledSettings.TallyEntries);
        NewAdmin = ReadTally(ref r, CompiledSettings.TallyEntries);
        Rare = ReadTally(ref r, CompiledSettings.TallyEntries);
        // Version 1 snapshots had no burst table.
        if (version < 2)
        {
            InitiatedExternalBytesOut = ExternalBytesOut;
            return;
        }

        InitiatedExternalBytesOut = r.U64();
        if (r.Bool()) Bursts = BurstTable.Read(ref r, CompiledSettings.SweepPorts);
    }

    // An empty table is written as absent: pooled windows keep empty tables, fresh ones have none, and the
    // snapshot must not depend on which one a host happened to get.
    private static void WriteScan(ref LittleEndianWriter w, ScanTable? t)
    {
        bool present = t is { Count: > 0 };
        w.Bool(present);
        if (present) t!.Write(ref w);
    }

    private static void WriteTally(ref LittleEndianWriter w, TallyTable? t)
    {
        bool present = t is { Count: > 0 };
        w.Bool(present);
        if (present) t!.Write(ref w);
    }

    private static ScanTable? ReadScan(ref LittleEndianReader r) =>
        r.Bool() ? ScanTable.Read(ref r, CompiledSettings.ScanEntries) : null;

    // Each table is read back with the cap it was created with: a different cap would change which keys a
    // full table keeps, and the restored host would no longer behave exactly like the original.
    private static TallyTable? ReadTally(ref LittleEndianReader r, int cap) =>
        r.Bool() ? TallyTable.Read(ref r, cap) : null;
}

/// <summary>
/// Per-thread pool of window objects. A host holds a window only while it is open; reusing closed windows (with
/// their grown sketch arrays and tables) across hosts keeps window churn from allocating per host per window.
/// Windows are owned by one host at a time, so a thread-static pool needs no locking; it is bounded in bytes.
/// </summary>
/// <remarks>
/// Windows are aligned in event time, so at a boundary every active host returns one and, about a window later, rents
/// one: the pool has to hold about one window per active host in between. A bound by count (4,096 windows) made every
/// boundary at 50,000 hosts regrow most windows in gen0, tens of MB that all survived into gen2 in a burst of long
/// collections. The bound is bytes: pooled windows never hold more than <see cref="MaxPooledBytes"/> per thread.
/// </remarks>
internal static class WindowPool
{
    /// <summary>Most bytes of pooled windows (their grown arrays and tables) one thread keeps.</summary>
    public const long MaxPooledBytes = 64L << 20;

    [ThreadStatic]
    private static Stack<WindowState>? _pool;

    [ThreadStatic]
    private static long _pooledBytes;

    /// <summary>Windows pooled on the calling thread.</summary>
    public static int Count => _pool?.Count ?? 0;

    /// <summary>Bytes of the windows pooled on the calling thread.</summary>
    public static long PooledBytes => _pooledBytes;

    public static WindowState Rent(long index)
    {
        WindowState w;
        if (_pool is { Count: > 0 } p)
        {
            w = p.Pop();
            _pooledBytes -= w.PooledBytes;
        }
        else
        {
            w = new WindowState();
        }

        w.Index = index;
        return w;
    }

    public static void Return(WindowState w)
    {
        w.Reset();
        int bytes = w.HeapBytes();
        if (_pooledBytes + bytes > MaxPooledBytes) return;
        w.PooledBytes = bytes;
        (_pool ??= new Stack<WindowState>()).Push(w);
        _pooledBytes += bytes;
    }
}

/// <summary>Where one detector and role stand in their suppression episode.</summary>
internal struct SuppressionSlot
{
    public long EpisodeStartMs;
    public long LastEndMs;
    public int Count;
}

/// <summary>A host's learnt value of one feature, over the windows in which it was non-zero.</summary>
/// <param name="Typical">The typical (median) per-window value.</param>
/// <param name="LogMean">EWMA of ln(1 + x).</param>
/// <param name="LogStdDev">EWMA standard deviation of ln(1 + x).</param>
/// <param name="Windows">Non-zero windows learnt so far.</param>
/// <param name="High">The 95th-percentile per-window value.</param>
public readonly record struct BaselineStats(double Typical, double LogMean, double LogStdDev, int Windows, double High);
