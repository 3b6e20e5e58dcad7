using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// <see cref="DetectionSettings"/> turned into what the hot path needs: milliseconds, learning rates, port bit
/// maps and prefix sets. Built once per settings object and shared by every host.
/// </summary>
internal sealed class CompiledSettings
{
    public CompiledSettings(DetectionSettings s)
    {
        s.Validate();
        Source = s;
        WindowMs = (long)s.Window.TotalMilliseconds;
        LatenessMs = (long)s.AllowedLateness.TotalMilliseconds;
        MaxClockStepMs = (long)s.MaxClockStep.TotalMilliseconds;
        LearningMs = (long)s.LearningPeriod.TotalMilliseconds;
        SuppressionMs = (long)s.SuppressionWindow.TotalMilliseconds;
        Alpha = 1 - Math.Pow(2, -WindowMs / s.Baseline.HalfLife.TotalMilliseconds);
        HourWindows = (int)Math.Max(1, (3_600_000 + WindowMs - 1) / WindowMs);
        PrefixSet.TryBuild(s.Allowlist.Addresses, out var allow, out _);
        AllowAddresses = allow.Count > 0 ? allow : null;
        AllowPorts = new PortSet(s.Allowlist.Ports);
        AuthPorts = new PortSet(s.BruteForce.Ports);
        AdminPorts = new PortSet(s.LateralMovement.AdminPorts);
        BeaconIgnoredPorts = new PortSet(s.Beaconing.IgnoredPorts);
        ExtraWellKnown = new PortSet(s.RarePort.WellKnownPorts);
        BeaconMinIntervalMs = (long)s.Beaconing.MinInterval.TotalMilliseconds;
        BeaconMaxIntervalMs = (long)s.Beaconing.MaxInterval.TotalMilliseconds;
        RareMinDurationMs = (long)s.RarePort.MinDuration.TotalMilliseconds;
        PrefixSet.TryBuild(s.WellKnownServices.Cidrs, out var services, out _);
        ServiceCidrs = services.Count > 0 ? services : null;
        ServiceAsns = [.. s.WellKnownServices.Asns.Select(a => (uint)a).Distinct().Order()];
        FloorExemptPorts = new PortSet(s.Exfiltration.FloorExemptPorts);
        SweepFailureOnlyPorts = new PortSet(s.InternetSweep.FailureOnlyPorts);
        FloorWindows = (int)Math.Max(1, ((long)s.Exfiltration.FloorSpan.TotalMilliseconds + WindowMs - 1) / WindowMs);
        ScanHorizonMs = (long)s.InboundScan.LongHorizon.TotalMilliseconds;
        LoopHorizonMs = (long)s.ConnectionLoop.Horizon.TotalMilliseconds;
        LoopMinDurationMs = (long)s.ConnectionLoop.MinDuration.TotalMilliseconds;
    }

    public PrefixSet? ServiceCidrs { get; }
    public uint[] ServiceAsns { get; }
    public PortSet FloorExemptPorts { get; }
    public PortSet SweepFailureOnlyPorts { get; }
    public int FloorWindows { get; }
    public long ScanHorizonMs { get; }
    public long LoopHorizonMs { get; }
    public long LoopMinDurationMs { get; }

    /// <summary>True when <paramref name="peer"/> (or its AS, 0 when not exported) is a well-known service destination.</summary>
    public bool IsWellKnownService(FlowAddress peer, uint peerAs) =>
        (ServiceCidrs is { } set && set.Contains(peer)) || (peerAs != 0 && Array.BinarySearch(ServiceAsns, peerAs) >= 0);

    public DetectionSettings Source { get; }
    public long WindowMs { get; }
    public long LatenessMs { get; }

    /// <summary>Largest forward step of a host's event time by one unconfirmed observation.</summary>
    public long MaxClockStepMs { get; }
    public long LearningMs { get; }
    public long SuppressionMs { get; }
    public double Alpha { get; }
    public int HourWindows { get; }
    public PrefixSet? AllowAddresses { get; }
    public PortSet AllowPorts { get; }
    public PortSet AuthPorts { get; }
    public PortSet AdminPorts { get; }
    public PortSet BeaconIgnoredPorts { get; }
    public PortSet ExtraWellKnown { get; }
    public long BeaconMinIntervalMs { get; }
    public long BeaconMaxIntervalMs { get; }
    public long RareMinDurationMs { get; }

    /// <summary>Per-window cap of scan-table keys.</summary>
    public const int ScanEntries = 8;

    /// <summary>Per-window cap of top external peers (exfiltration evidence).</summary>
    public const int TopExternalEntries = 4;

    /// <summary>Per-window cap of top DNS peers (tunnel evidence).</summary>
    public const int TopDnsEntries = 2;

    /// <summary>Per-window cap of ports tracked for Internet sweeps.</summary>
    public const int SweepPorts = 4;

    /// <summary>Per-window cap of tally entries (top talkers, brute force, intel, rare ports, new admin peers).</summary>
    public const int TallyEntries = 8;
}
