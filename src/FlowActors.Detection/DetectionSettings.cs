using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// Every detection parameter, with defaults taken from the open systems that do each job well. Bound from the
/// <c>Detection</c> configuration section; <see cref="Validate"/> names the setting and the fix for a bad value.
/// </summary>
public sealed class DetectionSettings
{
    /// <summary>Monitored networks (CIDR). Default: RFC 1918 and RFC 4193.</summary>
    public List<string> Networks { get; set; } = [.. NetworkClassifier.DefaultNetworks];

    /// <summary>Shortest <see cref="Window"/> accepted, in seconds (the node's <c>Detection:WindowSeconds</c> shares it).</summary>
    public const int MinWindowSeconds = 10;

    /// <summary>Longest <see cref="Window"/> accepted, in seconds.</summary>
    public const int MaxWindowSeconds = 3600;

    /// <summary>Length of the fixed event-time windows features are counted in. Default 5 minutes.</summary>
    public TimeSpan Window { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long after a window's end late observations are still accepted. Default 30 s; at most one window.</summary>
    public TimeSpan AllowedLateness { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>
    /// Largest step one observation may move a host's event time forward. A record further ahead is counted in the
    /// host's current window and moves nothing until a second record near the same time confirms the jump (a host
    /// back after a long silence), so one forged or broken timestamp cannot push a host into the future. Default 1 hour.
    /// </summary>
    public TimeSpan MaxClockStep { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Event time a host must be watched before baseline-relative (volumetric, history) detectors fire. Default 1 day.</summary>
    public TimeSpan LearningPeriod { get; set; } = TimeSpan.FromDays(1);

    /// <summary>Repeated findings of one detector on one host within this span update one alert. Default 1 hour.</summary>
    public TimeSpan SuppressionWindow { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Baseline settings.</summary>
    public BaselineSettings Baseline { get; set; } = new();

    /// <summary>Addresses and ports never reported (e.g. the SOC's own scanners).</summary>
    public AllowlistSettings Allowlist { get; set; } = new();

    /// <summary>Vertical port scan (T1046).</summary>
    public PortScanSettings PortScan { get; set; } = new();

    /// <summary>Horizontal sweep of many targets on one port (T1046 / T1018).</summary>
    public HostSweepSettings HostSweep { get; set; } = new();

    /// <summary>Scan of our host from outside (T1595).</summary>
    public InboundScanSettings InboundScan { get; set; } = new();

    /// <summary>SYN flood against our host (T1499.001 / T1498).</summary>
    public SynFloodSettings SynFlood { get; set; } = new();

    /// <summary>Brute force on authentication services (T1110).</summary>
    public BruteForceSettings BruteForce { get; set; } = new();

    /// <summary>Exfiltration by volume (T1048 / T1041).</summary>
    public ExfiltrationSettings Exfiltration { get; set; } = new();

    /// <summary>Beaconing / C2 periodicity (T1071).</summary>
    public BeaconingSettings Beaconing { get; set; } = new();

    /// <summary>DNS tunnelling by volume (T1071.004).</summary>
    public DnsTunnelSettings DnsTunnel { get; set; } = new();

    /// <summary>Lateral movement over admin protocols (T1021.x).</summary>
    public LateralMovementSettings LateralMovement { get; set; } = new();

    /// <summary>Heavy or long sessions on unusual ports (T1571).</summary>
    public RarePortSettings RarePort { get; set; } = new();

    /// <summary>Block-list matches (TA0011).</summary>
    public ThreatIntelSettings ThreatIntel { get; set; } = new();

    /// <summary>Repeated failing connections to one external address and port: a C2 implant whose server is down (T1071 / T1571).</summary>
    public ConnectionLoopSettings ConnectionLoop { get; set; } = new();

    /// <summary>Fast fan-out to many Internet hosts on one port: a worm or scanner inside (T1046).</summary>
    public InternetSweepSettings InternetSweep { get; set; } = new();

    /// <summary>
    /// Well-known service destinations (OS vendors' telemetry, update and push fronts) whose periodic or failing
    /// traffic is expected: beaconing and connection loops to them are not reported. Items configured are added to
    /// the defaults.
    /// </summary>
    public ServiceDestinationSettings WellKnownServices { get; set; } = new();

    private CompiledSettings? _compiled;

    /// <summary>
    /// The validated, precomputed form shared by all hosts. Built on first use; change settings before handing
    /// them to a <see cref="HostBehavior"/>, not after.
    /// </summary>
    internal CompiledSettings Compiled => _compiled ??= new CompiledSettings(this);

    /// <summary>Checks every value; throws <see cref="ArgumentException"/> whose message names the setting and the fix.</summary>
    public DetectionSettings Validate()
    {
        const string p = "Detection:";
        if (Networks is null) Fail(p + "Networks", "must be a list of CIDR prefixes");
        _ = new NetworkClassifier(Networks!);
        if (Window < TimeSpan.FromSeconds(MinWindowSeconds) || Window > TimeSpan.FromSeconds(MaxWindowSeconds)) Fail(p + "Window", "must be between 00:00:10 and 01:00:00");
        if (AllowedLateness < TimeSpan.Zero || AllowedLateness > Window) Fail(p + "AllowedLateness", "must be between 0 and Detection:Window");
        if (MaxClockStep < Window) Fail(p + "MaxClockStep", "must be at least Detection:Window, e.g. 01:00:00");
        if (LearningPeriod < TimeSpan.Zero) Fail(p + "LearningPeriod", "must be >= 0");
        if (SuppressionWindow < TimeSpan.Zero || SuppressionWindow > TimeSpan.FromDays(7)) Fail(p + "SuppressionWindow", "must be between 0 and 7.00:00:00");
        Baseline.Validate(p + "Baseline:");
        Allowlist.Validate(p + "Allowlist:");
        AtLeast(p + "PortScan:MinPorts", PortScan.MinPorts, 2);
        AtLeast(p + "HostSweep:MinTargets", HostSweep.MinTargets, 2);
        AtLeast(p + "InboundScan:MinPorts", InboundScan.MinPorts, 2);
        AtLeast(p + "SynFlood:MinAttempts", SynFlood.MinAttempts, 1);
        AtLeast(p + "SynFlood:AbsoluteMinAttempts", SynFlood.AbsoluteMinAttempts, SynFlood.MinAttempts);
        AtLeast(p + "SynFlood:MinAttemptsPerPort", SynFlood.MinAttemptsPerPort, 1);
        Positive(p + "SynFlood:MinScore", SynFlood.MinScore);
        AtLeast(p + "SynFlood:DistributedMinSources", SynFlood.DistributedMinSources, 2);
        AtLeast(p + "BruteForce:MinAttempts", BruteForce.MinAttempts, 2);
        AtLeast(p + "BruteForce:MaxPacketsPerAttempt", BruteForce.MaxPacketsPerAttempt, 1);
        Positive(p + "BruteForce:MaxSizeDispersion", BruteForce.MaxSizeDispersion);
        Ports(p + "BruteForce:Ports", BruteForce.Ports);
        AtLeast(p + "Exfiltration:MinBytesPerHour", Exfiltration.MinBytesPerHour, 1);
        Positive(p + "Exfiltration:MinScore", Exfiltration.MinScore);
        AtLeast(p + "Beaconing:MinConnections", Beaconing.MinConnections, 4);
        AtMost(p + "Beaconing:MinConnections", Beaconing.MinConnections, BeaconTable.RingSize + 1);
        Positive(p + "Beaconing:MaxIntervalDispersion", Beaconing.MaxIntervalDispersion);
        Positive(p + "Beaconing:MaxSkew", Beaconing.MaxSkew);
        Positive(p + "Beaconing:MaxSizeDispersion", Beaconing.MaxSizeDispersion);
        if (Beaconing.MinInterval < TimeSpan.FromSeconds(1)) Fail(p + "Beaconing:MinInterval", "must be >= 00:00:01");
        if (Beaconing.MaxInterval <= Beaconing.MinInterval || Beaconing.MaxInterval > TimeSpan.FromDays(2)) Fail(p + "Beaconing:MaxInterval", "must be above Beaconing:MinInterval and at most 2.00:00:00");
        AtLeast(p + "Beaconing:MaxTrackedPeers", Beaconing.MaxTrackedPeers, 1);
        AtMost(p + "Beaconing:MaxTrackedPeers", Beaconing.MaxTrackedPeers, 256);
        Ports(p + "Beaconing:IgnoredPorts", Beaconing.IgnoredPorts);
        AtLeast(p + "DnsTunnel:MinBytes", DnsTunnel.MinBytes, 1);
        Positive(p + "DnsTunnel:MinScore", DnsTunnel.MinScore);
        AtLeast(p + "LateralMovement:MinNewPeers", LateralMovement.MinNewPeers, 1);
        AtLeast(p + "LateralMovement:MaxHistory", LateralMovement.MaxHistory, 1);
        AtMost(p + "LateralMovement:MaxHistory", LateralMovement.MaxHistory, 4096);
        Ports(p + "LateralMovement:AdminPorts", LateralMovement.AdminPorts);
        AtLeast(p + "RarePort:MinBytes", RarePort.MinBytes, 1);
        if (RarePort.MinDuration <= TimeSpan.Zero) Fail(p + "RarePort:MinDuration", "must be > 0");
        AtLeast(p + "RarePort:MaxHistory", RarePort.MaxHistory, 1);
        AtMost(p + "RarePort:MaxHistory", RarePort.MaxHistory, 4096);
        Ports(p + "RarePort:WellKnownPorts", RarePort.WellKnownPorts);
        Positive(p + "Beaconing:MaxIntervalRange", Beaconing.MaxIntervalRange);
        AtLeast(p + "Beaconing:PrevalentHosts", Beaconing.PrevalentHosts, 2);
        if (!(Beaconing.MinScore > 0 && Beaconing.MinScore <= 1)) Fail(p + "Beaconing:MinScore", $"must be in (0, 1] (was {Beaconing.MinScore})");
        AtLeast(p + "Exfiltration:FloorBytes", Exfiltration.FloorBytes, 1);
        if (Exfiltration.FloorSpan < Window || Exfiltration.FloorSpan > TimeSpan.FromHours(1)) Fail(p + "Exfiltration:FloorSpan", "must be between Detection:Window and 01:00:00");
        Ports(p + "Exfiltration:FloorExemptPorts", Exfiltration.FloorExemptPorts);
        if (InboundScan.LongHorizon < Window || InboundScan.LongHorizon > TimeSpan.FromDays(1)) Fail(p + "InboundScan:LongHorizon", "must be between Detection:Window and 1.00:00:00");
        AtLeast(p + "InboundScan:MaxTrackedSources", InboundScan.MaxTrackedSources, 1);
        AtMost(p + "InboundScan:MaxTrackedSources", InboundScan.MaxTrackedSources, 64);
        AtLeast(p + "ConnectionLoop:MinAttempts", ConnectionLoop.MinAttempts, 2);
        if (ConnectionLoop.MinDuration < TimeSpan.Zero || ConnectionLoop.MinDuration >= ConnectionLoop.Horizon) Fail(p + "ConnectionLoop:MinDuration", "must be >= 0 and below ConnectionLoop:Horizon");
        if (ConnectionLoop.Horizon > TimeSpan.FromDays(1)) Fail(p + "ConnectionLoop:Horizon", "must be at most 1.00:00:00");
        AtLeast(p + "ConnectionLoop:MaxTracked", ConnectionLoop.MaxTracked, 1);
        AtMost(p + "ConnectionLoop:MaxTracked", ConnectionLoop.MaxTracked, 64);
        AtLeast(p + "InternetSweep:MinTargets", InternetSweep.MinTargets, 2);
        Positive(p + "InternetSweep:MinTargetsPerMinute", InternetSweep.MinTargetsPerMinute);
        if (!(InternetSweep.MinFailedFraction > 0 && InternetSweep.MinFailedFraction <= 1)) Fail(p + "InternetSweep:MinFailedFraction", $"must be in (0, 1] (was {InternetSweep.MinFailedFraction})");
        Positive(p + "InternetSweep:MaxSizeDispersion", InternetSweep.MaxSizeDispersion);
        Ports(p + "InternetSweep:FailureOnlyPorts", InternetSweep.FailureOnlyPorts);
        WellKnownServices.Validate(p + "WellKnownServices:");
        if (ThreatIntel.Files is null) Fail(p + "ThreatIntel:Files", "must be a list of file paths");
        foreach (string f in ThreatIntel.Files!)
        {
            if (string.IsNullOrWhiteSpace(f) || !File.Exists(f)) Fail(p + "ThreatIntel:Files", $"'{f}' does not exist; fix the path or remove it");
        }

        return this;
    }

    internal static void Fail(string setting, string rule) =>
        throw new ArgumentException($"{setting} {rule}.");

    internal static void AtLeast(string setting, long value, long min)
    {
        if (value < min) Fail(setting, $"must be >= {min} (was {value})");
    }

    internal static void AtMost(string setting, long value, long max)
    {
        if (value > max) Fail(setting, $"must be <= {max} (was {value})");
    }

    internal static void Positive(string setting, double value)
    {
        if (!(value > 0) || !double.IsFinite(value)) Fail(setting, $"must be a number > 0 (was {value})");
    }

    internal static void Ports(string setting, List<int>? ports)
    {
        if (ports is null) Fail(setting, "must be a list of ports");
        foreach (int port in ports!)
        {
            if (port is < 0 or > 65535) Fail(setting, $"must hold ports 0-65535 (found {port})");
        }
    }
}

/// <summary>Baseline (EWMA mean and variance) parameters.</summary>
public sealed class BaselineSettings
{
    /// <summary>Half-life of the baseline's memory in event time. Default 3 days.</summary>
    public TimeSpan HalfLife { get; set; } = TimeSpan.FromDays(3);

    /// <summary>Learning-rate multiplier on windows judged anomalous, so attacks do not teach the baseline. Default 0.1.</summary>
    public double AnomalousLearningFactor { get; set; } = 0.1;

    /// <summary>Smallest standard deviation (in natural-log units) a score divides by, so flat histories don't make every blip infinite. Default 0.5.</summary>
    public double MinStdDev { get; set; } = 0.5;

    /// <summary>Score above which a window counts as anomalous for learning. Default 4.</summary>
    public double AnomalyScore { get; set; } = 4;

    /// <summary>Longest run of empty windows folded into the baseline after an idle gap (longer gaps are skipped). Default 2016 (a week of 5-minute windows).</summary>
    public int MaxIdleWindows { get; set; } = 2016;

    internal void Validate(string p)
    {
        if (HalfLife < TimeSpan.FromMinutes(10)) DetectionSettings.Fail(p + "HalfLife", "must be >= 00:10:00");
        if (!(AnomalousLearningFactor >= 0 && AnomalousLearningFactor <= 1)) DetectionSettings.Fail(p + "AnomalousLearningFactor", "must be between 0 and 1");
        DetectionSettings.Positive(p + "MinStdDev", MinStdDev);
        DetectionSettings.Positive(p + "AnomalyScore", AnomalyScore);
        DetectionSettings.AtLeast(p + "MaxIdleWindows", MaxIdleWindows, 0);
    }
}

/// <summary>What never raises alerts.</summary>
public sealed class AllowlistSettings
{
    /// <summary>Addresses or CIDR prefixes whose observations are ignored (as host or as peer). Default none.</summary>
    public List<string> Addresses { get; set; } = [];

    /// <summary>Ports (local or peer) whose observations are ignored. Default none.</summary>
    public List<int> Ports { get; set; } = [];

    internal void Validate(string p)
    {
        if (Addresses is null) DetectionSettings.Fail(p + "Addresses", "must be a list of addresses or CIDR prefixes");
        if (!PrefixSet.TryBuild(Addresses!, out _, out string? error)) DetectionSettings.Fail(p + "Addresses", $"is invalid: {error}");
        DetectionSettings.Ports(p + "Ports", Ports);
    }
}

/// <summary>Vertical port scan: one host probing many ports of one target (Zeek scan.zeek).</summary>
public sealed class PortScanSettings
{
    /// <summary>Distinct ports with failed or unanswered attempts on one target within a window. Default 15 (Zeek).</summary>
    public int MinPorts { get; set; } = 15;
}

/// <summary>Horizontal sweep: one host probing one port on many targets.</summary>
public sealed class HostSweepSettings
{
    /// <summary>Distinct targets with failed attempts on one port (or ICMP echo requests) within a window. Default 25 (Zeek).</summary>
    public int MinTargets { get; set; } = 25;
}

/// <summary>Scan of our host: one source probing many of its ports.</summary>
public sealed class InboundScanSettings
{
    /// <summary>Distinct local ports with failed attempts (TCP) or probes (UDP) from one source within a window, or within <see cref="LongHorizon"/>. Default 15.</summary>
    public int MinPorts { get; set; } = 15;

    /// <summary>
    /// How long one external source's probed ports are accumulated, so slow scans (nmap -T1/-T0, one probe per
    /// 15 s to 5 min) add up. Default 2 hours.
    /// </summary>
    public TimeSpan LongHorizon { get; set; } = TimeSpan.FromHours(2);

    /// <summary>Hard cap on external sources accumulated per host (the one with the fewest ports is replaced first). Default 8.</summary>
    public int MaxTrackedSources { get; set; } = 8;
}

/// <summary>SYN flood against our host.</summary>
public sealed class SynFloodSettings
{
    /// <summary>Half-open inbound attempts per window needed, once the host's baseline is learnt (with <see cref="MinScore"/>). Default 500.</summary>
    public int MinAttempts { get; set; } = 500;

    /// <summary>Half-open inbound attempts per window that fire with or without a baseline. Default 2000.</summary>
    public int AbsoluteMinAttempts { get; set; } = 2000;

    /// <summary>Attempts per distinct targeted local port: tells a flood (few ports) from a scan (many). Default 20.</summary>
    public int MinAttemptsPerPort { get; set; } = 20;

    /// <summary>Baseline score (standard deviations of log-count) needed above <see cref="MinAttempts"/>. Default 6.</summary>
    public double MinScore { get; set; } = 6;

    /// <summary>Distinct sources from which the flood is reported as distributed (T1498). Default 50.</summary>
    public int DistributedMinSources { get; set; } = 50;
}

/// <summary>Brute force: many short, similar sessions to one authentication port.</summary>
public sealed class BruteForceSettings
{
    /// <summary>Authentication service ports watched. Default SSH, Telnet, FTP, RDP, SMB, WinRM, VNC, databases, LDAP, mail.</summary>
    public List<int> Ports { get; set; } = [21, 22, 23, 25, 110, 139, 143, 389, 445, 465, 587, 636, 993, 995, 1433, 3306, 3389, 5432, 5900, 5985, 5986];

    /// <summary>Short sessions from one source to one port within a window. Default 20.</summary>
    public int MinAttempts { get; set; } = 20;

    /// <summary>A session with more packets than this is not a login attempt. Default 100.</summary>
    public int MaxPacketsPerAttempt { get; set; } = 100;

    /// <summary>Largest coefficient of variation of session sizes (similar sizes = scripted attempts). Default 0.5.</summary>
    public double MaxSizeDispersion { get; set; } = 0.5;
}

/// <summary>Exfiltration by volume to external peers.</summary>
public sealed class ExfiltrationSettings
{
    /// <summary>Bytes sent to external peers in the last hour needed. Default 100 MB.</summary>
    public long MinBytesPerHour { get; set; } = 100L * 1000 * 1000;

    /// <summary>Baseline score (standard deviations of log-bytes per window) needed. Default 4.</summary>
    public double MinScore { get; set; } = 4;

    /// <summary>
    /// The absolute floor that needs no baseline (works from a host's first hour): bytes sent to one external peer
    /// and port within <see cref="FloorSpan"/>. Default 20 MB.
    /// </summary>
    public long FloorBytes { get; set; } = 20L * 1000 * 1000;

    /// <summary>Span the floor's bytes are summed over. Default 15 minutes.</summary>
    public TimeSpan FloorSpan { get; set; } = TimeSpan.FromMinutes(15);

    /// <summary>Peer ports where bulk uploads are ordinary (web, mail, VPN); the floor ignores them. Default 80, 443, 8080, 8443, mail and VPN ports.</summary>
    public List<int> FloorExemptPorts { get; set; } = [25, 80, 110, 143, 443, 465, 500, 587, 993, 995, 1194, 1701, 1723, 4500, 8080, 8443, 51820];
}

/// <summary>
/// Beaconing to external peers, scored as RITA does: interval skew, interval dispersion (MAD / median), size
/// dispersion and timespan coverage, each a score in [0, 1], averaged. Jitter of 10-50 % (Cobalt Strike, Sliver,
/// Mythic) scores about 0.85-0.9; browsing about 0.6.
/// </summary>
public sealed class BeaconingSettings
{
    /// <summary>Connections to one peer needed (the interval ring holds 16 intervals). Default 12.</summary>
    public int MinConnections { get; set; } = 12;

    /// <summary>Smallest combined score (mean of skew, dispersion, size and coverage scores) that fires. Default 0.8.</summary>
    public double MinScore { get; set; } = 0.8;

    /// <summary>Largest interval MAD / median accepted at all (the jitter a beacon may have: ±50 % uniform jitter is 0.25). Default 0.3.</summary>
    public double MaxIntervalDispersion { get; set; } = 0.3;

    /// <summary>
    /// Largest trimmed range of intervals (second largest minus second smallest) relative to their median. Jitter
    /// is bounded (±50 % gives 1.0); the intervals of browsing and other random visits are not. Default 1.2.
    /// </summary>
    public double MaxIntervalRange { get; set; } = 1.2;

    /// <summary>Largest |Bowley skewness| of intervals accepted at all. Default 0.6.</summary>
    public double MaxSkew { get; set; } = 0.6;

    /// <summary>Largest MAD / median of sizes accepted at all. Default 0.3.</summary>
    public double MaxSizeDispersion { get; set; } = 0.3;

    /// <summary>
    /// Monitored hosts contacting the same destination (from the cluster-wide prevalence sketch) from which the
    /// channel is deemed common software: reported below <see cref="Alert.DefaultForwardingSeverity"/>. Default 3.
    /// </summary>
    public int PrevalentHosts { get; set; } = 3;

    /// <summary>Shortest interval considered; closer connections count as one. Default 5 s.</summary>
    public TimeSpan MinInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Longest interval considered. Default 6 h.</summary>
    public TimeSpan MaxInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Hard cap on external peers tracked per host (peers already seen to be irregular evicted first, then least recently used). Default 6.</summary>
    public int MaxTrackedPeers { get; set; } = 6;

    /// <summary>Peer ports whose periodic traffic is expected (DNS, NTP). Default 53, 123.</summary>
    public List<int> IgnoredPorts { get; set; } = [53, 123];
}

/// <summary>DNS tunnelling by volume.</summary>
public sealed class DnsTunnelSettings
{
    /// <summary>Bytes the host sends to port 53 within a window needed. Default 1 MB.</summary>
    public long MinBytes { get; set; } = 1000L * 1000;

    /// <summary>Baseline score (standard deviations of log-bytes) needed. Default 4.</summary>
    public double MinScore { get; set; } = 4;
}

/// <summary>Lateral movement: new internal peers on admin ports.</summary>
public sealed class LateralMovementSettings
{
    /// <summary>Admin ports watched. Default 22, 135, 139, 445, 3389, 5985, 5986.</summary>
    public List<int> AdminPorts { get; set; } = [22, 135, 139, 445, 3389, 5985, 5986];

    /// <summary>New internal admin peers within a window needed. Default 3.</summary>
    public int MinNewPeers { get; set; } = 3;

    /// <summary>Hard cap on remembered admin peers per host (oldest forgotten first). Default 64.</summary>
    public int MaxHistory { get; set; } = 64;
}

/// <summary>Heavy or long sessions on ports unusual for the host.</summary>
public sealed class RarePortSettings
{
    /// <summary>Bytes in one flow record that make a session heavy. Default 10 MB.</summary>
    public long MinBytes { get; set; } = 10L * 1000 * 1000;

    /// <summary>Duration of one flow record that makes a session long. Default 10 minutes.</summary>
    public TimeSpan MinDuration { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>Hard cap on remembered service ports per host (oldest forgotten first). Default 32.</summary>
    public int MaxHistory { get; set; } = 32;

    /// <summary>Ports above 1023 that never count as unusual (added to the built-in list).</summary>
    public List<int> WellKnownPorts { get; set; } = [];
}

/// <summary>Connection loop: a host retrying one external address and port with failed connections.</summary>
public sealed class ConnectionLoopSettings
{
    /// <summary>Failed or refused attempts to one external address and port needed. Default 30.</summary>
    public int MinAttempts { get; set; } = 30;

    /// <summary>Shortest span from the first to the latest attempt (a loop, not one retry burst). Default 2 minutes.</summary>
    public TimeSpan MinDuration { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>An address and port without attempts for this long is forgotten. Default 1 hour.</summary>
    public TimeSpan Horizon { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Hard cap on address/port pairs tracked per host (the one with the fewest attempts is replaced first). Default 4.</summary>
    public int MaxTracked { get; set; } = 4;
}

/// <summary>Horizontal burst to the Internet: one port, many external hosts, within seconds, uniform.</summary>
public sealed class InternetSweepSettings
{
    /// <summary>Distinct external hosts contacted on one port within a window. Default 20.</summary>
    public int MinTargets { get; set; } = 20;

    /// <summary>Distinct hosts per minute over the span of the burst. Default 20.</summary>
    public double MinTargetsPerMinute { get; set; } = 20;

    /// <summary>Fraction of the connections that failed (unanswered or refused) that alone marks a sweep. Default 0.5.</summary>
    public double MinFailedFraction { get; set; } = 0.5;

    /// <summary>Largest coefficient of variation of the completed sessions' sizes that marks uniform probing. Default 0.3.</summary>
    public double MaxSizeDispersion { get; set; } = 0.3;

    /// <summary>Ports where only failures count (a browser's page load or a mail server's delivery run fans out over them). Default 25, 80, 443, 8080, 8443.</summary>
    public List<int> FailureOnlyPorts { get; set; } = [25, 80, 443, 8080, 8443];
}

/// <summary>Well-known service destinations, by prefix and (where the exporter sends it) autonomous system.</summary>
public sealed class ServiceDestinationSettings
{
    /// <summary>
    /// CIDR prefixes of OS vendors' service fronts. Default: Microsoft 365 / Windows Update and login fronts
    /// (13.107.0.0/16, 20.190.128.0/18, 40.126.0.0/18, 52.96.0.0/14), Apple (17.0.0.0/8), Google front ends
    /// (142.250.0.0/15, 172.217.0.0/16). General cloud compute ranges are not listed: implants live there too.
    /// </summary>
    public List<string> Cidrs { get; set; } = ["13.107.0.0/16", "20.190.128.0/18", "40.126.0.0/18", "52.96.0.0/14", "17.0.0.0/8", "142.250.0.0/15", "172.217.0.0/16"];

    /// <summary>Autonomous systems (peer AS as exported, NetFlow fields 16/17). Default Microsoft 8075 and 8068, Apple 714 and 6185, Google 15169.</summary>
    public List<long> Asns { get; set; } = [8075, 8068, 714, 6185, 15169];

    internal void Validate(string p)
    {
        if (Cidrs is null) DetectionSettings.Fail(p + "Cidrs", "must be a list of CIDR prefixes");
        if (!PrefixSet.TryBuild(Cidrs!, out _, out string? error)) DetectionSettings.Fail(p + "Cidrs", $"is invalid: {error}");
        if (Asns is null) DetectionSettings.Fail(p + "Asns", "must be a list of AS numbers");
        foreach (long a in Asns!)
        {
            if (a is < 1 or > uint.MaxValue) DetectionSettings.Fail(p + "Asns", $"must hold AS numbers 1-4294967295 (found {a})");
        }
    }
}

/// <summary>Block lists.</summary>
public sealed class ThreatIntelSettings
{
    /// <summary>Plain-text files, one address or CIDR per line, <c>#</c> comments. Default none.</summary>
    public List<string> Files { get; set; } = [];
}
