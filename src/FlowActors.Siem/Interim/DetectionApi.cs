using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using System.Text.Json;
using FlowActors.Protocols;

// Interim stand-in for the detection library (branch `detection`), with the same member names and shapes as
// its announced API (HostBehavior, FlowObservation, Alert, DetectionSettings, NetworkClassifier), so that the
// cluster and the sinks build and are tested before it lands. It keeps a simple baseline: windowed flow
// counters and a vertical port-scan rule. When FlowActors.Detection lands this folder is deleted and the
// global aliases in DetectionBinding.cs (Siem and Cluster) point at FlowActors.Detection instead.
namespace FlowActors.Siem.Interim;

/// <summary>One end of a flow as seen from a monitored host.</summary>
public readonly struct FlowObservation
{
    private readonly uint _packets;
    private readonly uint _durationMs;
    private readonly byte _bits; // 1 = outbound, 2 = peer internal

    /// <summary>Creates an observation from its parts.</summary>
    public FlowObservation(
        FlowAddress host, FlowAddress peer, ushort localPort, ushort peerPort, byte protocol, ushort tcpFlags,
        bool outbound, bool peerIsInternal, ulong packets, ulong bytes, long startMs, long endMs)
    {
        Host = host;
        Peer = peer;
        Bytes = bytes;
        StartMs = startMs;
        _packets = packets > uint.MaxValue ? uint.MaxValue : (uint)packets;
        long d = endMs - startMs;
        _durationMs = d <= 0 ? 0u : d > uint.MaxValue ? uint.MaxValue : (uint)d;
        LocalPort = localPort;
        PeerPort = peerPort;
        TcpFlags = tcpFlags;
        Protocol = protocol;
        _bits = (byte)((outbound ? 1 : 0) | (peerIsInternal ? 2 : 0));
    }

    /// <summary>The monitored host.</summary>
    public FlowAddress Host { get; }
    /// <summary>The other end.</summary>
    public FlowAddress Peer { get; }
    /// <summary>Bytes (upscaled).</summary>
    public ulong Bytes { get; }
    /// <summary>Flow start, Unix ms.</summary>
    public long StartMs { get; }
    /// <summary>The host's port.</summary>
    public ushort LocalPort { get; }
    /// <summary>The peer's port.</summary>
    public ushort PeerPort { get; }
    /// <summary>TCP flags.</summary>
    public ushort TcpFlags { get; }
    /// <summary>IP protocol.</summary>
    public byte Protocol { get; }
    /// <summary>True when the host is the flow's source.</summary>
    public bool Outbound => (_bits & 1) != 0;
    /// <summary>True when the peer is in a monitored network.</summary>
    public bool PeerIsInternal => (_bits & 2) != 0;
    /// <summary>Packets (upscaled, saturating).</summary>
    public ulong Packets => _packets;
    /// <summary>Flow end, Unix ms.</summary>
    public long EndMs => StartMs + _durationMs;

    /// <summary>The source end's observation.</summary>
    public static FlowObservation FromOutbound(in FlowRecord r, bool peerInternal) =>
        new(r.SrcAddr, r.DstAddr, r.SrcPort, r.DstPort, r.Protocol, r.TcpFlags, true, peerInternal, r.PacketsScaled, r.BytesScaled, r.StartMs, r.EndMs);

    /// <summary>The destination end's observation.</summary>
    public static FlowObservation FromInbound(in FlowRecord r, bool peerInternal) =>
        new(r.DstAddr, r.SrcAddr, r.DstPort, r.SrcPort, r.Protocol, r.TcpFlags, false, peerInternal, r.PacketsScaled, r.BytesScaled, r.StartMs, r.EndMs);
}

/// <summary>One finding about one monitored host (DESIGN.md "Alert record").</summary>
/// <param name="Id">Deterministic id.</param>
/// <param name="Time">Event time, UTC.</param>
/// <param name="Host">Monitored IP.</param>
/// <param name="Role"><c>actor</c> or <c>target</c>.</param>
/// <param name="Peers">Top peers.</param>
/// <param name="Ports">Ports involved.</param>
/// <param name="Detector">Detector name.</param>
/// <param name="Tactic">ATT&amp;CK tactic id.</param>
/// <param name="TacticName">ATT&amp;CK tactic name.</param>
/// <param name="Technique">ATT&amp;CK technique id.</param>
/// <param name="TechniqueName">ATT&amp;CK technique name.</param>
/// <param name="Severity">0–10.</param>
/// <param name="Summary">One sentence.</param>
/// <param name="Evidence">Observed and baseline numbers.</param>
/// <param name="WindowStart">Window start, UTC.</param>
/// <param name="WindowEnd">Window end, UTC.</param>
/// <param name="Count">Findings folded in.</param>
public sealed record Alert(
    string Id, DateTime Time, string Host, string Role, IReadOnlyList<string> Peers, IReadOnlyList<int> Ports,
    string Detector, string Tactic, string TacticName, string Technique, string TechniqueName, int Severity,
    string Summary, IReadOnlyDictionary<string, double> Evidence, DateTime WindowStart, DateTime WindowEnd, int Count)
{
    /// <summary>Writes the alert as one JSON object with the canonical snake_case names.</summary>
    public void WriteJson(Utf8JsonWriter writer)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStartObject();
        writer.WriteString("id", Id);
        writer.WriteString("time", FormatTime(Time));
        writer.WriteString("host", Host);
        writer.WriteString("role", Role);
        writer.WriteStartArray("peers");
        foreach (string p in Peers) writer.WriteStringValue(p);
        writer.WriteEndArray();
        writer.WriteStartArray("ports");
        foreach (int p in Ports) writer.WriteNumberValue(p);
        writer.WriteEndArray();
        writer.WriteString("detector", Detector);
        writer.WriteStartObject("tactic");
        writer.WriteString("id", Tactic);
        writer.WriteString("name", TacticName);
        writer.WriteEndObject();
        writer.WriteStartObject("technique");
        writer.WriteString("id", Technique);
        writer.WriteString("name", TechniqueName);
        writer.WriteEndObject();
        writer.WriteNumber("severity", Severity);
        writer.WriteString("summary", Summary);
        writer.WriteStartObject("evidence");
        foreach (var kv in Evidence) writer.WriteNumber(kv.Key, kv.Value);
        writer.WriteEndObject();
        writer.WriteString("window_start", FormatTime(WindowStart));
        writer.WriteString("window_end", FormatTime(WindowEnd));
        writer.WriteNumber("count", Count);
        writer.WriteEndObject();
    }

    /// <summary>The alert as one JSON line.</summary>
    public string ToJsonLine()
    {
        using var stream = new MemoryStream(512);
        using (var writer = new Utf8JsonWriter(stream)) WriteJson(writer);
        return Encoding.UTF8.GetString(stream.GetBuffer(), 0, (int)stream.Length);
    }

    /// <summary>Formats a UTC time as <c>yyyy-MM-ddTHH:mm:ss.fffZ</c>.</summary>
    public static string FormatTime(DateTime time) =>
        time.ToUniversalTime().ToString("yyyy-MM-dd'T'HH:mm:ss.fff'Z'", CultureInfo.InvariantCulture);

    /// <summary>Value equality including list and evidence contents.</summary>
    public bool ContentEquals(Alert? other) =>
        other is not null && Id == other.Id && Time == other.Time && Host == other.Host && Role == other.Role
        && Peers.SequenceEqual(other.Peers) && Ports.SequenceEqual(other.Ports) && Detector == other.Detector
        && Tactic == other.Tactic && TacticName == other.TacticName && Technique == other.Technique && TechniqueName == other.TechniqueName
        && Severity == other.Severity && Summary == other.Summary && Evidence.Count == other.Evidence.Count
        && Evidence.All(kv => other.Evidence.TryGetValue(kv.Key, out double v) && v.Equals(kv.Value))
        && WindowStart == other.WindowStart && WindowEnd == other.WindowEnd && Count == other.Count;
}

/// <summary>Port-scan parameters.</summary>
public sealed class PortScanSettings
{
    /// <summary>Distinct ports on one target with failed attempts (Zeek scan.zeek: 15).</summary>
    public int MinPorts { get; set; } = 15;
}

/// <summary>Detection parameters.</summary>
public sealed class DetectionSettings
{
    /// <summary>Monitored networks (CIDR).</summary>
    public List<string> Networks { get; set; } = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "fc00::/7"];
    /// <summary>Window length.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);
    /// <summary>Vertical port scan.</summary>
    public PortScanSettings PortScan { get; set; } = new();

    /// <summary>Throws <see cref="ArgumentException"/> naming the bad setting.</summary>
    public DetectionSettings Validate()
    {
        if (Window < TimeSpan.FromSeconds(1)) throw new ArgumentException("Detection:Window must be at least 1 s.");
        if (PortScan.MinPorts < 2) throw new ArgumentException("Detection:PortScan:MinPorts must be at least 2.");
        _ = new NetworkClassifier(Networks);
        return this;
    }
}

/// <summary>Decides which addresses lie in monitored networks.</summary>
public sealed class NetworkClassifier
{
    private readonly (ulong Hi, ulong Lo, ulong MaskHi, ulong MaskLo, bool V4)[] _nets;

    /// <summary>Builds the classifier; throws <see cref="ArgumentException"/> naming a bad CIDR.</summary>
    public NetworkClassifier(IEnumerable<string> cidrs)
    {
        var list = new List<(ulong, ulong, ulong, ulong, bool)>();
        foreach (var cidr in cidrs)
        {
            int slash = cidr.IndexOf('/');
            if (slash < 0 || !FlowAddress.TryParse(cidr.AsSpan(0, slash), out var a) || !int.TryParse(cidr.AsSpan(slash + 1), out int bits))
                throw new ArgumentException($"Detection:Networks: '{cidr}' is not a CIDR such as 10.0.0.0/8 or fc00::/7.");
            int max = a.IsV4 ? 32 : 128;
            if (bits < 0 || bits > max) throw new ArgumentException($"Detection:Networks: prefix length in '{cidr}' must be 0..{max}.");
            int total = a.IsV4 ? 96 + bits : bits;
            ulong mHi = total >= 64 ? ulong.MaxValue : total == 0 ? 0 : ulong.MaxValue << (64 - total);
            ulong mLo = total <= 64 ? 0 : total >= 128 ? ulong.MaxValue : ulong.MaxValue << (128 - total);
            list.Add((a.Hi & mHi, a.Lo & mLo, mHi, mLo, a.IsV4));
        }
        _nets = [.. list];
    }

    /// <summary>True when <paramref name="address"/> lies in a monitored network.</summary>
    public bool IsMonitored(FlowAddress address)
    {
        foreach (var n in _nets)
        {
            if (n.V4 == address.IsV4 && (address.Hi & n.MaskHi) == n.Hi && (address.Lo & n.MaskLo) == n.Lo) return true;
        }
        return false;
    }
}

/// <summary>
/// Simple baseline for one host: windowed flow counters (EWMA of flows per window) and a vertical port-scan
/// rule (distinct destination ports on one target with unanswered SYNs within a window).
/// </summary>
public sealed class HostBehavior
{
    private const int MaxTargets = 64;
    private const int MaxPortsPerTarget = 256;
    private readonly DetectionSettings _settings;
    private readonly long _windowMs;
    private readonly Dictionary<FlowAddress, HashSet<ushort>> _ports = new();
    private readonly HashSet<FlowAddress> _alerted = new();
    private long _flowsThisWindow;

    /// <summary>Creates empty state for <paramref name="host"/>.</summary>
    public HostBehavior(FlowAddress host, DetectionSettings settings)
    {
        Host = host;
        _settings = settings;
        _windowMs = (long)settings.Window.TotalMilliseconds;
    }

    /// <summary>The monitored host.</summary>
    public FlowAddress Host { get; }
    /// <summary>Start of the current window, Unix ms (0 before the first observation).</summary>
    public long WindowStartMs { get; private set; }
    /// <summary>Latest event time, Unix ms.</summary>
    public long EventTimeMs { get; private set; }
    /// <summary>Closed windows (the baseline's age).</summary>
    public long WindowsClosed { get; private set; }
    /// <summary>Observations applied in total.</summary>
    public long FlowsObserved { get; private set; }
    /// <summary>EWMA of flows per window.</summary>
    public double MeanFlowsPerWindow { get; private set; }

    /// <summary>Applies a batch, adding any alerts raised to <paramref name="alerts"/>.</summary>
    public void Observe(ReadOnlySpan<FlowObservation> batch, ICollection<Alert> alerts)
    {
        foreach (ref readonly var o in batch)
        {
            long t = o.EndMs != 0 ? o.EndMs : o.StartMs;
            if (t > EventTimeMs) AdvanceTo(t, alerts);
            FlowsObserved++;
            _flowsThisWindow++;
            // An attempt that never completed the handshake: SYN seen, no ACK (RFC 9293 §3.5).
            bool failedTcp = o.Protocol == 6 && (o.TcpFlags & 0x02) != 0 && (o.TcpFlags & 0x10) == 0;
            if (!o.Outbound || !failedTcp) continue;
            if (!_ports.TryGetValue(o.Peer, out var set))
            {
                if (_ports.Count >= MaxTargets) continue;
                _ports[o.Peer] = set = new HashSet<ushort>();
            }
            if (set.Count < MaxPortsPerTarget) set.Add(o.PeerPort);
            if (set.Count >= _settings.PortScan.MinPorts && _alerted.Add(o.Peer)) alerts.Add(PortScan(o.Peer, set));
        }
    }

    /// <summary>Moves event time forward, closing windows that ended.</summary>
    public void AdvanceTo(long eventTimeMs, ICollection<Alert> alerts)
    {
        if (eventTimeMs <= EventTimeMs) return;
        EventTimeMs = eventTimeMs;
        if (WindowStartMs == 0) WindowStartMs = eventTimeMs - eventTimeMs % _windowMs;
        if (eventTimeMs - WindowStartMs > 100 * _windowMs) WindowStartMs = eventTimeMs - eventTimeMs % _windowMs - _windowMs;
        while (eventTimeMs >= WindowStartMs + _windowMs)
        {
            MeanFlowsPerWindow = WindowsClosed == 0 ? _flowsThisWindow : 0.9 * MeanFlowsPerWindow + 0.1 * _flowsThisWindow;
            WindowsClosed++;
            _flowsThisWindow = 0;
            _ports.Clear();
            _alerted.Clear();
            WindowStartMs += _windowMs;
        }
    }

    private Alert PortScan(FlowAddress target, HashSet<ushort> ports)
    {
        var sorted = new List<int>(ports.Count);
        foreach (var p in ports) sorted.Add(p);
        sorted.Sort();
        if (sorted.Count > 20) sorted.RemoveRange(20, sorted.Count - 20);
        string host = Host.ToString();
        return new Alert(
            $"port-scan:{host}:{target}:{WindowStartMs}",
            DateTime.UnixEpoch.AddMilliseconds(EventTimeMs), host, "actor", [target.ToString()], sorted, "port-scan",
            "TA0007", "Discovery", "T1046", "Network Service Discovery", 6,
            $"{host} probed {ports.Count} ports on {target} with unanswered connection attempts",
            new Dictionary<string, double> { ["distinct_ports"] = ports.Count, ["threshold"] = _settings.PortScan.MinPorts },
            DateTime.UnixEpoch.AddMilliseconds(WindowStartMs), DateTime.UnixEpoch.AddMilliseconds(WindowStartMs + _windowMs), 1);
    }

    /// <summary>Bytes <see cref="WriteSnapshot"/> writes.</summary>
    public int SnapshotSize => 8 * 6;

    /// <summary>Writes the baseline counters (the current window's port sets are not kept).</summary>
    public int WriteSnapshot(Span<byte> destination)
    {
        BinaryPrimitives.WriteInt64LittleEndian(destination, WindowStartMs);
        BinaryPrimitives.WriteInt64LittleEndian(destination[8..], EventTimeMs);
        BinaryPrimitives.WriteInt64LittleEndian(destination[16..], WindowsClosed);
        BinaryPrimitives.WriteInt64LittleEndian(destination[24..], FlowsObserved);
        BinaryPrimitives.WriteDoubleLittleEndian(destination[32..], MeanFlowsPerWindow);
        BinaryPrimitives.WriteInt64LittleEndian(destination[40..], _flowsThisWindow);
        return SnapshotSize;
    }

    /// <summary>Restores state written by <see cref="WriteSnapshot"/>.</summary>
    public static HostBehavior Restore(FlowAddress host, ReadOnlySpan<byte> snapshot, DetectionSettings settings)
    {
        var b = new HostBehavior(host, settings);
        if (snapshot.Length < 48) return b;
        b.WindowStartMs = BinaryPrimitives.ReadInt64LittleEndian(snapshot);
        b.EventTimeMs = BinaryPrimitives.ReadInt64LittleEndian(snapshot[8..]);
        b.WindowsClosed = BinaryPrimitives.ReadInt64LittleEndian(snapshot[16..]);
        b.FlowsObserved = BinaryPrimitives.ReadInt64LittleEndian(snapshot[24..]);
        b.MeanFlowsPerWindow = BinaryPrimitives.ReadDoubleLittleEndian(snapshot[32..]);
        b._flowsThisWindow = BinaryPrimitives.ReadInt64LittleEndian(snapshot[40..]);
        return b;
    }
}
