using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// Offline (single-process) detection: turns flow records into observations for each monitored end and feeds a
/// bounded map of <see cref="HostBehavior"/>s. Used by <c>flowctl analyze</c> and end-to-end tests; the cluster
/// does the same with one actor per host.
/// </summary>
public sealed class FlowAnalyzer
{
    private readonly DetectionSettings _settings;
    private readonly NetworkClassifier _networks;
    private readonly ThreatIntelSet? _intel;
    private readonly Dictionary<FlowAddress, HostBehavior> _hosts = new();
    private readonly int _maxHosts;
    private readonly EventTimeGuard _times = new();
    private readonly PrevalenceSketch _prevalence = new();

    /// <summary>Creates an analyzer.</summary>
    /// <param name="settings">Detection settings (validated).</param>
    /// <param name="networks">Monitored networks; default built from <see cref="DetectionSettings.Networks"/>.</param>
    /// <param name="intel">Block lists, or null.</param>
    /// <param name="maxHosts">Hard cap on hosts tracked; observations of further hosts are dropped and counted.</param>
    public FlowAnalyzer(DetectionSettings settings, NetworkClassifier? networks = null, ThreatIntelSet? intel = null, int maxHosts = 100_000)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxHosts, 1);
        settings.Validate();
        _settings = settings;
        _networks = networks ?? new NetworkClassifier(settings.Networks);
        _intel = intel;
        _maxHosts = maxHosts;
    }

    /// <summary>Records fed.</summary>
    public long Records { get; private set; }

    /// <summary>Observations produced (one per monitored end).</summary>
    public long Observations { get; private set; }

    /// <summary>Observations dropped because the host map was full.</summary>
    public long ObservationsDropped { get; private set; }

    /// <summary>Records whose start was after their end, repaired to the end before analysis.</summary>
    public long RepairedTimes => _times.StartAfterEnd;

    /// <summary>Latest flow end seen (unix ms), or <see cref="long.MinValue"/>.</summary>
    public long EventTimeMs { get; private set; } = long.MinValue;

    /// <summary>How many of the analysed hosts keep a repeated channel to each destination (shared by every host here).</summary>
    public IDestinationPrevalence Prevalence => _prevalence;

    /// <summary>Hosts tracked.</summary>
    public int HostCount => _hosts.Count;

    /// <summary>The state of <paramref name="host"/>, or null when it is not tracked.</summary>
    public HostBehavior? GetHost(FlowAddress host) => _hosts.GetValueOrDefault(host);

    /// <summary>Feeds one record: an outbound observation to its source host and an inbound one to its destination host, for each end that is monitored.</summary>
    public void Add(in FlowRecord record, ICollection<Alert> alerts)
    {
        if (record.StartMs > record.EndMs)
        {
            // Offline there is no live clock to check against, but a start after the end is still repaired, or the
            // observation would end at the (bogus) start and push the host's event time there.
            var repaired = record;
            _times.Check(ref repaired, long.MaxValue);
            AddChecked(in repaired, alerts);
            return;
        }

        AddChecked(in record, alerts);
    }

    private void AddChecked(in FlowRecord record, ICollection<Alert> alerts)
    {
        Records++;
        var ends = _networks.Split(in record, out var outbound, out var inbound);
        if (record.EndMs > EventTimeMs) EventTimeMs = record.EndMs;
        if ((ends & MonitoredEnds.Source) != 0) Feed(record.SrcAddr, in outbound, alerts);
        if ((ends & MonitoredEnds.Destination) != 0) Feed(record.DstAddr, in inbound, alerts);
    }

    private void Feed(FlowAddress host, in FlowObservation o, ICollection<Alert> alerts)
    {
        if (!_hosts.TryGetValue(host, out var behavior))
        {
            if (_hosts.Count >= _maxHosts)
            {
                ObservationsDropped++;
                return;
            }

            behavior = new HostBehavior(host, _settings, _intel, _prevalence);
            _hosts.Add(host, behavior);
        }

        Observations++;
        behavior.Observe(in o, alerts);
    }

    /// <summary>
    /// Advances every host past the last window that holds data (event time + window + lateness), so all
    /// windows close and their alerts are appended.
    /// </summary>
    public void Finish(ICollection<Alert> alerts)
    {
        if (EventTimeMs == long.MinValue) return;
        long end = EventTimeMs + (long)_settings.Window.TotalMilliseconds + (long)_settings.AllowedLateness.TotalMilliseconds + 1;
        foreach (var h in _hosts.Values) h.AdvanceTo(end, alerts);
    }
}
