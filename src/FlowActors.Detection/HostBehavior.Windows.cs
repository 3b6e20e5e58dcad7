using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using FlowActors.Protocols;

namespace FlowActors.Detection;

public sealed partial class HostBehavior
{
    private enum Detector
    {
        PortScan,
        HostSweep,
        InboundScan,
        SynFlood,
        BruteForce,
        Exfiltration,
        Beaconing,
        DnsTunnel,
        LateralMovement,
        RarePort,
        ThreatIntel,
        ConnectionLoop,
        InternetSweep,
    }

    private static readonly string[] DetectorNames =
    [
        "port-scan", "host-sweep", "inbound-scan", "syn-flood", "brute-force", "exfiltration", "beaconing",
        "dns-tunnel", "lateral-movement", "rare-port", "threat-intel", "connection-loop", "internet-sweep",
    ];

    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    /// <summary>Client/service pairs remembered from the learning period for the brute-force detector.</summary>
    private const int AuthHistoryCap = 32;

    private void CloseEmpty()
    {
        Span<double> x = stackalloc double[F];
        x.Clear();
        PushHour(0);
        UpdateBaseline(x, anomalous: false);
    }

    private void CloseWindow(WindowState w, long index, ICollection<Alert> alerts)
    {
        long start = index * _c.WindowMs;
        long end = start + _c.WindowMs;
        Span<double> x = stackalloc double[F];
        Span<double> z = stackalloc double[F];
        w.Features(x);
        bool anomalous = false;
        double minStd = _c.Source.Baseline.MinStdDev;
        for (int i = 0; i < F; i++)
        {
            if (x[i] <= 0)
            {
                z[i] = 0;
            }
            else if (_featureWindows[i] < 2)
            {
                z[i] = NeverSeenScore; // a feature this host has (almost) never had is as anomalous as it gets
            }
            else
            {
                z[i] = Score(i, Math.Log(1 + x[i]), minStd);
                if (z[i] >= _c.Source.Baseline.AnomalyScore) anomalous = true;
            }
        }

        bool learned = end - _firstSeenMs >= _c.LearningMs && _windows >= 2;
        int before = alerts.Count;
        var d = new Detection(this, w, start, end, learned, x, z, alerts);
        d.Run();
        anomalous |= alerts.Count != before;

        PushHour(w.ExternalBytesOut);
        UpdateBaseline(x, anomalous);
    }

    /// <summary>Windows after which the streaming quantiles replace the normal approximation.</summary>
    private const int QuantileWarmup = 20;

    /// <summary>Step of the streaming quantile trackers, in natural-log units (about 10 % per window).</summary>
    private const double QuantileStep = 0.1;

    /// <summary>
    /// The anomaly score of <paramref name="y"/> = ln(1 + x) for feature <paramref name="i"/>, in standard deviations.
    /// Once warm it is robust: anchored at the tracked 95th percentile with the spread (p95 - median) / 1.645, which
    /// equals the z-score for normal data but does not let a bimodal history (quiet windows and busy ones) inflate
    /// the spread until nothing stands out.
    /// </summary>
    private double Score(int i, double y, double minStd)
    {
        if (_featureWindows[i] < QuantileWarmup)
        {
            return (y - _mean[i]) / Math.Max(Math.Sqrt(Math.Max(0, _var[i])), minStd);
        }

        double spread = Math.Max((_p95[i] - _median[i]) / 1.645, minStd);
        return 1.645 + ((y - _p95[i]) / spread);
    }

    /// <summary>Score given to a non-zero feature with fewer than two earlier non-zero windows.</summary>
    private const double NeverSeenScore = 10;

    private void PushHour(ulong externalBytes)
    {
        if (_hourRing is null)
        {
            if (externalBytes == 0) return;
            _hourRing = new uint[_c.HourWindows];
        }

        ulong kb = externalBytes / 1000;
        _hourRing[_hourPosition] = kb > uint.MaxValue ? uint.MaxValue : (uint)kb;
        _hourPosition = (_hourPosition + 1) % _hourRing.Length;
    }

    /// <summary>Bytes sent to external peers in the hour ending with the current window (ring holds the earlier windows).</summary>
    private double LastHourExternalBytes(ulong current)
    {
        double sum = current;
        if (_hourRing is null) return sum;
        int n = _hourRing.Length;
        for (int k = 1; k < n; k++)
        {
            sum += _hourRing[(_hourPosition - k + n) % n] * 1000.0;
        }

        return sum;
    }

    private void UpdateBaseline(ReadOnlySpan<double> x, bool anomalous)
    {
        // EWMA / EWMV (West 1979 incremental form) of ln(1 + x), per feature, over the windows in which the feature
        // was non-zero: log space tames heavy-tailed volumes (a z-score there is a robust ratio test), and leaving
        // out idle windows keeps a host that sleeps at night from learning a bimodal "zero or something" baseline
        // whose variance would hide everything. Early windows average exactly (rate 1/(n+1)) until the half-life
        // rate takes over; anomalous windows learn at a fraction of the rate so an attack does not teach the baseline.
        for (int i = 0; i < F; i++)
        {
            if (x[i] <= 0) continue;
            int n = _featureWindows[i];
            double alpha = Math.Max(_c.Alpha, 1.0 / (n + 1));
            if (anomalous && n >= 2) alpha *= _c.Source.Baseline.AnomalousLearningFactor;
            double y = Math.Log(1 + x[i]);
            double mean = _mean[i];
            double diff = y - mean;
            double inc = alpha * diff;
            _mean[i] = (float)(mean + inc);
            _var[i] = (float)((1 - alpha) * (_var[i] + (diff * inc)));
            if (n < QuantileWarmup)
            {
                // Until there is history enough for streaming quantiles, assume normality.
                _median[i] = _mean[i];
                _p95[i] = (float)(_mean[i] + (1.645 * Math.Sqrt(Math.Max(0, _var[i]))));
            }
            else
            {
                // Stochastic-approximation quantile tracking: q += step * (p - [y <= q]).
                double step = QuantileStep * (anomalous ? _c.Source.Baseline.AnomalousLearningFactor : 1);
                _median[i] = (float)(_median[i] + (step * (0.5 - (y <= _median[i] ? 1 : 0))));
                _p95[i] = (float)Math.Max(_median[i], _p95[i] + (step * (0.95 - (y <= _p95[i] ? 1 : 0))));
            }

            if (n < ushort.MaxValue) _featureWindows[i] = (ushort)(n + 1);
        }

        if (_windows < int.MaxValue) _windows++;
    }

    private void Emit(
        ICollection<Alert> alerts, Detector detector, bool actor, AttackTechnique technique, int severity, string summary,
        IReadOnlyList<string> peers, IReadOnlyList<int> ports, Dictionary<string, double> evidence, long windowStart, long windowEnd)
    {
        _suppression ??= new SuppressionSlot[DetectorCount * 2];
        ref SuppressionSlot slot = ref _suppression[((int)detector * 2) + (actor ? 0 : 1)];
        if (slot.Count > 0 && windowStart < slot.EpisodeStartMs + _c.SuppressionMs)
        {
            slot.Count++;
        }
        else
        {
            slot.EpisodeStartMs = windowStart;
            slot.Count = 1;
        }

        slot.LastEndMs = windowEnd;
        string name = DetectorNames[(int)detector];
        string role = actor ? Alert.ActorRole : Alert.TargetRole;
        alerts.Add(new Alert(
            AlertId(_hostText, name, role, slot.EpisodeStartMs), ToTime(windowEnd), _hostText, role, peers, ports, name,
            technique.Tactic, technique.TacticName, technique.Technique, technique.TechniqueName,
            Math.Clamp(severity, 0, 10), summary, evidence, ToTime(slot.EpisodeStartMs), ToTime(windowEnd), slot.Count));
    }

    /// <summary>
    /// The deterministic alert id: the first 128 bits of SHA-256 over host, detector, role and the start of the
    /// suppression episode, as hex. Replays and retries produce the same id, so a SIEM can drop duplicates.
    /// </summary>
    public static string AlertId(string host, string detector, string role, long episodeStartMs)
    {
        string key = string.Create(Inv, $"{host}|{detector}|{role}|{episodeStartMs}");
        Span<byte> hash = stackalloc byte[32];
        SHA256.HashData(Encoding.UTF8.GetBytes(key), hash);
        return Convert.ToHexStringLower(hash[..16]);
    }

    private static DateTime ToTime(long ms) => DateTime.UnixEpoch.AddMilliseconds(ms);

    private static string Bytes(double b) =>
        b >= 1e9 ? string.Create(Inv, $"{b / 1e9:0.0} GB") :
        b >= 1e6 ? string.Create(Inv, $"{b / 1e6:0.0} MB") :
        b >= 1e3 ? string.Create(Inv, $"{b / 1e3:0.0} kB") : string.Create(Inv, $"{b:0} B");

    private static string Minutes(long ms) => string.Create(Inv, $"{ms / 60000.0:0.#} min");

    /// <summary>The detectors run over one closed window (a short-lived helper so the logic reads top to bottom).</summary>
    private readonly ref struct Detection
    {
        private readonly HostBehavior _h;
        private readonly WindowState _w;
        private readonly long _start;
        private readonly long _end;
        private readonly bool _learned;
        private readonly ReadOnlySpan<double> _x;
        private readonly ReadOnlySpan<double> _z;
        private readonly ICollection<Alert> _alerts;

        public Detection(HostBehavior h, WindowState w, long start, long end, bool learned, ReadOnlySpan<double> x, ReadOnlySpan<double> z, ICollection<Alert> alerts)
        {
            _h = h;
            _w = w;
            _start = start;
            _end = end;
            _learned = learned;
            _x = x;
            _z = z;
            _alerts = alerts;
        }

        private DetectionSettings S => _h._c.Source;

        private string Window => Minutes(_end - _start);

        public void Run()
        {
            PortScan();
            InboundScans();
            HostSweep();
            InternetSweep();
            SynFlood();
            BruteForce();
            if (!Exfiltration()) ExfiltrationFloor();
            DnsTunnel();
            LateralMovement();
            RarePort();
            ThreatIntel();
            Beaconing();
            ConnectionLoop();
        }

        private void Emit(Detector d, bool actor, AttackTechnique t, int severity, string summary, IReadOnlyList<string> peers, IReadOnlyList<int> ports, Dictionary<string, double> evidence) =>
            _h.Emit(_alerts, d, actor, t, severity, summary, peers, ports, evidence, _start, _end);

        private static List<int> SortedPorts(in DistinctSketch set, int max)
        {
            var ports = new List<int>();
            foreach (uint v in set.SampleValues) ports.Add((int)(v & 0xFFFF));
            ports.Sort();
            if (ports.Count > max) ports.RemoveRange(max, ports.Count - max);
            return ports;
        }

        private static bool AnyAtLeast(ScanTable table, int count, long key)
        {
            foreach (var e in table.Entries)
            {
                if ((key < 0 || e.Key == key) && e.Set.Count >= count) return true;
            }

            return false;
        }

        private void PortScan()
        {
            if (_w.OutByTarget is not { } table || !AnyAtLeast(table, S.PortScan.MinPorts, -1)) return;
            var hits = new List<ScanTable.Entry>();
            foreach (var e in table.Entries)
            {
                if (e.Set.Count >= S.PortScan.MinPorts) hits.Add(e);
            }

            if (hits.Count == 0) return;
            hits.Sort((p, q) => q.Set.Count.CompareTo(p.Set.Count));
            var best = hits[0];
            int ports = best.Set.Count;
            var peers = hits.Take(5).Select(e => e.Peer.ToString()).ToList();
            string more = hits.Count > 1 ? string.Create(Inv, $" (and {hits.Count - 1} more targets)") : string.Empty;
            string summary = string.Create(Inv,
                $"{_h._hostText} probed {(best.Set.IsExact ? "" : "about ")}{ports} ports on {best.Peer} with failed or unanswered connections within {Window}{more}: vertical port scan.");
            Emit(Detector.PortScan, true, AttackCatalog.NetworkServiceDiscovery, ports >= 1000 ? 7 : ports >= 100 ? 6 : 5, summary, peers,
                SortedPorts(best.Set, 20), new Dictionary<string, double>
                {
                    ["distinct_ports"] = ports,
                    ["failed_attempts"] = best.Attempts,
                    ["targets_scanned"] = hits.Count,
                    ["threshold_ports"] = S.PortScan.MinPorts,
                });
        }

        private void InboundScans()
        {
            if (_w.InBySource is not { } table) return;
            ExternalScans(table);
            if (!AnyAtLeast(table, S.InboundScan.MinPorts, 1)) return;
            var hits = new List<ScanTable.Entry>();
            foreach (var e in table.Entries)
            {
                if (e.Key == 1 && e.Set.Count >= S.InboundScan.MinPorts) hits.Add(e);
            }

            if (hits.Count == 0) return;
            hits.Sort((p, q) => q.Set.Count.CompareTo(p.Set.Count));
            var best = hits[0];
            int ports = best.Set.Count;
            string approx = best.Set.IsExact ? "" : "about ";
            Emit(Detector.PortScan, false, AttackCatalog.NetworkServiceDiscovery, ports >= 1000 ? 6 : 5,
                string.Create(Inv, $"Internal host {best.Peer} probed {approx}{ports} ports of {_h._hostText} within {Window}: port scan from inside the network."),
                hits.Take(5).Select(e => e.Peer.ToString()).ToList(), SortedPorts(best.Set, 20), new Dictionary<string, double>
                {
                    ["distinct_ports"] = ports,
                    ["failed_attempts"] = best.Attempts,
                    ["scanning_sources"] = hits.Count,
                    ["threshold_ports"] = S.InboundScan.MinPorts,
                });
        }

        /// <summary>
        /// Scans from outside: each source's probed ports are folded into the host's accumulator, so slow scans add
        /// up over <see cref="InboundScanSettings.LongHorizon"/>; a source is reported once, when it first crosses
        /// the threshold, and one alert summarises every source that crossed it in this window.
        /// </summary>
        private void ExternalScans(ScanTable table)
        {
            var s = S.InboundScan;
            long horizon = _h._c.ScanHorizonMs;
            List<int>? fresh = null;
            foreach (var e in table.Entries)
            {
                if (e.Key != 0 || e.Set.Count == 0) continue;
                var acc = _h._scans ??= new ScanAccumulator(s.MaxTrackedSources);
                ref var x = ref acc.Get(e.Peer, _start, _end, horizon);
                x.Attempts += e.Attempts;
                foreach (uint v in e.Set.SampleValues) x.Ports.Add(v);
                bool crossed = e.Set.Count >= s.MinPorts || x.Ports.Count >= s.MinPorts;
                if (!crossed || x.Reported) continue;
                x.Reported = true;
                (fresh ??= []).Add(IndexOf(acc, e.Peer));
            }

            if (fresh is null) return;
            var acc2 = _h._scans!;
            var found = fresh.Select(i => acc2.Entries[i]).OrderByDescending(x => x.Ports.Count).ThenBy(x => x.Peer).ToList();
            var best = found[0];
            int ports = best.Ports.Count;
            var allPorts = new SortedSet<int>();
            int udp = 0;
            foreach (var f in found)
            {
                foreach (uint v in f.Ports.SampleValues)
                {
                    if (allPorts.Count < 20) allPorts.Add((int)(v & 0xFFFF));
                    if ((v >> 16) == 0x11) udp++;
                }
            }

            long span = best.LastMs - best.FirstMs;
            string approx = best.Ports.IsExact ? "" : "about ";
            string proto = udp == 0 ? "" : udp >= ports ? " UDP" : " TCP and UDP";
            string more = found.Count > 1 ? string.Create(Inv, $" ({found.Count - 1} more scanner(s) in this window)") : string.Empty;
            Emit(Detector.InboundScan, false, AttackCatalog.ActiveScanning, ports >= 1000 ? 4 : 3,
                string.Create(Inv, $"External host {best.Peer} probed {approx}{ports}{proto} ports of {_h._hostText} over {Minutes(Math.Max(span, _end - _start))}{more}: inbound scan."),
                found.Take(5).Select(x => x.Peer.ToString()).ToList(), [.. allPorts], new Dictionary<string, double>
                {
                    ["distinct_ports"] = ports,
                    ["failed_attempts"] = best.Attempts,
                    ["probes"] = best.Attempts,
                    ["udp_ports"] = udp,
                    ["scanning_sources"] = found.Count,
                    ["span_ms"] = span,
                    ["threshold_ports"] = s.MinPorts,
                });
        }

        private static int IndexOf(ScanAccumulator acc, FlowAddress peer)
        {
            var entries = acc.Entries;
            for (int i = 0; i < entries.Length; i++)
            {
                if (entries[i].Peer.Equals(peer)) return i;
            }

            return -1;
        }

        private void HostSweep()
        {
            if (_w.Sweeps is not { } table) return;
            ScanTable.Entry best = default;
            int found = 0;
            foreach (var e in table.Entries)
            {
                if (e.Set.Count >= S.HostSweep.MinTargets && e.Set.Count > best.Set.Count)
                {
                    best = e;
                    found++;
                }
            }

            if (found == 0) return;
            int targets = best.Set.Count;
            int proto = (int)(best.Key >> 16);
            int port = (int)(best.Key & 0xFFFF);
            bool icmp = proto is 1 or 58;
            string what = icmp ? "ICMP echo requests" : string.Create(Inv, $"failed connections on port {port}/tcp");
            Emit(Detector.HostSweep, true, icmp ? AttackCatalog.RemoteSystemDiscovery : AttackCatalog.NetworkServiceDiscovery,
                targets >= 250 ? 6 : 5,
                string.Create(Inv, $"{_h._hostText} sent {what} to {(best.Set.IsExact ? "" : "about ")}{targets} distinct hosts within {Window}: horizontal sweep."),
                [], icmp ? [] : [port], new Dictionary<string, double>
                {
                    ["distinct_targets"] = targets,
                    ["attempts"] = best.Attempts,
                    ["protocol"] = proto,
                    ["threshold_targets"] = S.HostSweep.MinTargets,
                });
        }

        /// <summary>
        /// Horizontal burst to the Internet: one port, many external hosts, at a high rate, and either mostly failing
        /// or uniformly sized (a worm's or scanner's probes). A browser's page load fans out too, but over web ports
        /// where only failures count, and with sessions of every size.
        /// </summary>
        private void InternetSweep()
        {
            if (_w.Bursts is not { Count: > 0 } table) return;
            var s = S.InternetSweep;
            BurstTable.Entry best = default;
            double bestFailed = 0, bestCv = double.NaN, bestRate = 0;
            bool found = false;
            foreach (var e in table.Entries)
            {
                int targets = e.Targets.Count;
                if (targets < s.MinTargets) continue;
                double minutes = Math.Max(1_000, e.LastMs - e.FirstMs) / 60_000.0;
                double rate = targets / minutes;
                if (rate < s.MinTargetsPerMinute) continue;
                double failed = (double)e.Failed / e.Connections;
                double cv = double.NaN;
                if (e.Completed >= 5)
                {
                    double mean = e.Bytes / e.Completed;
                    cv = mean > 0 ? Math.Sqrt(Math.Max(0, (e.SumSquares / e.Completed) - (mean * mean))) / mean : 0;
                }

                ushort port = (ushort)(e.Key & 0xFFFF);
                bool uniform = !double.IsNaN(cv) && cv <= s.MaxSizeDispersion && !_h._c.SweepFailureOnlyPorts.Contains(port);
                if (failed < s.MinFailedFraction && !uniform) continue;
                if (!found || targets > best.Targets.Count)
                {
                    best = e;
                    bestFailed = failed;
                    bestCv = cv;
                    bestRate = rate;
                    found = true;
                }
            }

            if (!found) return;
            int n = best.Targets.Count;
            int p = (int)(best.Key & 0xFFFF);
            string proto = (best.Key >> 16) == 17 ? "udp" : "tcp";
            Emit(Detector.InternetSweep, true, AttackCatalog.NetworkServiceDiscovery, n >= 250 ? 7 : 6,
                string.Create(Inv, $"{_h._hostText} connected to {(best.Targets.IsExact ? "" : "about ")}{n} distinct Internet hosts on port {p}/{proto} at {bestRate:0} per minute ({bestFailed * 100:0} % failed): horizontal scan or worm propagation."),
                [], [p], new Dictionary<string, double>
                {
                    ["distinct_targets"] = n,
                    ["connections"] = best.Connections,
                    ["failed_fraction"] = bestFailed,
                    ["size_dispersion"] = bestCv,
                    ["targets_per_minute"] = bestRate,
                    ["threshold_targets"] = s.MinTargets,
                });
        }

        /// <summary>
        /// Connection loop: the host keeps failing to reach one external address and port (unanswered or refused
        /// SYNs), steadily or in bursts, for minutes: an implant retrying a C2 server that is down or sinkholed.
        /// </summary>
        private void ConnectionLoop()
        {
            if (_h._loops is not { } loops) return;
            var s = S.ConnectionLoop;
            loops.Expire(_end, _h._c.LoopHorizonMs);
            int best = -1;
            for (int i = 0; i < loops.Count; i++)
            {
                ref var x = ref loops.At(i);
                if (!x.Recorded && x.Attempts >= Math.Max(2, s.MinAttempts / 3))
                {
                    // Many hosts failing on the same destination is a broken or blocked service, not one implant.
                    x.Recorded = true;
                    _h._prevalence?.Record(_h._host, x.Peer, x.LastMs);
                }

                if (x.LastMs < _start || x.Attempts < s.MinAttempts || x.LastMs - x.FirstMs < _h._c.LoopMinDurationMs) continue;
                if (_h._c.IsWellKnownService(x.Peer, 0)) continue;
                if (best < 0 || x.Attempts > loops.Entries[best].Attempts) best = i;
            }

            if (best < 0) return;
            var hit = loops.Entries[best];
            int prevalence = _h._prevalence?.HostsContacting(hit.Peer) ?? 1;
            bool common = prevalence >= S.Beaconing.PrevalentHosts;
            bool standard = FlowRules.IsServicePort(hit.Port) || _h._c.ExtraWellKnown.Contains(hit.Port);
            int severity = hit.Attempts >= 10L * s.MinAttempts ? 7 : 6;
            if (common) severity = Math.Min(severity, Alert.DefaultForwardingSeverity - 2);
            Emit(Detector.ConnectionLoop, true, standard ? AttackCatalog.ApplicationLayerProtocol : AttackCatalog.NonStandardPort, severity,
                string.Create(Inv, $"{_h._hostText} failed {hit.Attempts} times to connect to {hit.Peer} port {hit.Port} over {Minutes(hit.LastMs - hit.FirstMs)} (unanswered or refused){(common ? string.Create(Inv, $"; {prevalence} monitored hosts do the same") : "")}: connection loop to a possible C2 server."),
                [hit.Peer.ToString()], [hit.Port], new Dictionary<string, double>
                {
                    ["failed_attempts"] = hit.Attempts,
                    ["span_ms"] = hit.LastMs - hit.FirstMs,
                    ["prevalence_hosts"] = prevalence,
                    ["threshold_attempts"] = s.MinAttempts,
                });
        }

        private void SynFlood()
        {
            uint attempts = _w.FailedIn;
            if (attempts == 0) return;
            var s = S.SynFlood;
            int ports = Math.Max(1, _w.FailedInPorts.Count);
            int sources = _w.FailedInSources.Count;
            double score = _z[(int)BaselineFeature.FailedIn];
            bool absolute = attempts >= s.AbsoluteMinAttempts;
            bool relative = _learned && attempts >= s.MinAttempts && score >= s.MinScore;
            if (attempts / ports < s.MinAttemptsPerPort || !(absolute || relative)) return;

            var peers = new List<string>();
            if (_w.InBySource is { } table)
            {
                var bySource = table.Entries.ToArray().Where(e => e.Attempts > 0).OrderByDescending(e => e.Attempts).Take(5);
                foreach (var e in bySource) peers.Add(e.Peer.ToString());
            }

            var baseline = _h.GetBaseline(BaselineFeature.FailedIn);
            bool distributed = sources >= s.DistributedMinSources;
            Emit(Detector.SynFlood, false, distributed ? AttackCatalog.NetworkDenialOfService : AttackCatalog.OsExhaustionFlood,
                attempts >= 10L * s.AbsoluteMinAttempts ? 9 : 8,
                string.Create(Inv, $"{_h._hostText} received {attempts} half-open TCP connection attempts from {sources} source(s) on {ports} port(s) within {Window}{(_learned ? string.Create(Inv, $", typically {baseline.Typical:0}") : "")}: SYN flood."),
                peers, SortedPorts(_w.FailedInPorts, 10), new Dictionary<string, double>
                {
                    ["half_open_attempts"] = attempts,
                    ["distinct_sources"] = sources,
                    ["distinct_ports"] = ports,
                    ["baseline_attempts"] = baseline.Typical,
                    ["score"] = _learned ? score : double.NaN,
                    ["threshold_attempts"] = _learned ? s.MinAttempts : s.AbsoluteMinAttempts,
                });
        }

        private static uint AuthPairKey(in TallyTable.Entry e) => (uint)e.Peer.GetStableHashCode() ^ (e.Key * 0x9E3779B1u);

        private void BruteForce()
        {
            if (_w.Brute is not { Count: > 0 } table) return; // pooled windows keep empty tables
            var s = S.BruteForce;
            try
            {
                BruteForceFindings(table, s);
            }
            finally
            {
                if (!_learned)
                {
                    // Client/service pairs seen while learning are the host's habits (an application server's
                    // database connections look exactly like scripted logins); they never count as brute force.
                    var history = _h._authHistory ??= new LruSet(AuthHistoryCap);
                    foreach (var e in table.Entries) history.TouchOrAdd(AuthPairKey(e), _end);
                }
            }
        }

        private void BruteForceFindings(TallyTable table, BruteForceSettings s)
        {
            bool any = false;
            foreach (var e in table.Entries) any |= e.Flows >= s.MinAttempts;
            if (!any) return;

            for (uint inbound = 0; inbound <= 1; inbound++)
            {
                var hits = new List<(TallyTable.Entry E, double Cv)>();
                foreach (var e in table.Entries)
                {
                    if ((e.Key >> 16) != inbound || e.Flows < s.MinAttempts) continue;
                    if (_h._authHistory is { } known && known.Contains(AuthPairKey(e))) continue;
                    double mean = (double)e.Bytes / e.Flows;
                    double variance = Math.Max(0, (e.SumSquares / e.Flows) - (mean * mean));
                    double cv = mean > 0 ? Math.Sqrt(variance) / mean : 0;
                    if (cv <= s.MaxSizeDispersion) hits.Add((e, cv));
                }

                if (hits.Count == 0) continue;
                hits.Sort((p, q) => q.E.Flows.CompareTo(p.E.Flows));
                var (best, bestCv) = hits[0];
                int port = (int)(best.Key & 0xFFFF);
                var peers = hits.Take(5).Select(h => h.E.Peer.ToString()).ToList();
                var ports = hits.Select(h => (int)(h.E.Key & 0xFFFF)).Distinct().Take(10).ToList();
                string summary = inbound == 1
                    ? string.Create(Inv, $"{best.Peer} made {best.Flows} short, similar-sized sessions to port {port} on {_h._hostText} within {Window}: brute-force attempt.")
                    : string.Create(Inv, $"{_h._hostText} made {best.Flows} short, similar-sized sessions to port {port} on {best.Peer} within {Window}: brute-force attempt.");
                Emit(Detector.BruteForce, inbound == 0, AttackCatalog.BruteForce, best.Flows >= 10 * s.MinAttempts ? 7 : 6, summary, peers, ports,
                    new Dictionary<string, double>
                    {
                        ["sessions"] = best.Flows,
                        ["mean_session_bytes"] = (double)best.Bytes / best.Flows,
                        ["size_dispersion"] = bestCv,
                        ["sources"] = hits.Count,
                        ["threshold_sessions"] = s.MinAttempts,
                    });
            }
        }

        private bool Exfiltration()
        {
            if (!_learned || _w.ExternalBytesOut == 0) return false;
            var s = S.Exfiltration;
            double hour = _h.LastHourExternalBytes(_w.ExternalBytesOut);
            double score = _z[(int)BaselineFeature.ExternalBytesOut];
            if (hour < s.MinBytesPerHour || score < s.MinScore) return false;
            // Mostly replies of a server to its external clients (downloads from a public web server): not uploads.
            if (_w.InitiatedExternalBytesOut * 2 < _w.ExternalBytesOut) return false;
            var top = _w.TopExternal!.Entries.ToArray().OrderByDescending(e => e.Bytes).ToList();
            var baseline = _h.GetBaseline(BaselineFeature.ExternalBytesOut);
            var first = top[0];
            // Over a channel the host has been beaconing to: T1041; otherwise T1048.
            bool c2 = _h._beacons is { } b && b.ConnectionsTo(first.Peer) >= (uint)S.Beaconing.MinConnections;
            Emit(Detector.Exfiltration, true, c2 ? AttackCatalog.ExfiltrationOverC2Channel : AttackCatalog.ExfiltrationOverAlternativeProtocol,
                8, string.Create(Inv, $"{_h._hostText} sent {Bytes(_w.ExternalBytesOut)} to external hosts within {Window} ({Bytes(hour)} in the last hour), typically {Bytes(baseline.Typical)}; most to {first.Peer} port {first.Key & 0xFFFF}: possible exfiltration."),
                top.Take(5).Select(e => e.Peer.ToString()).ToList(), top.Select(e => (int)(e.Key & 0xFFFF)).Distinct().Take(5).ToList(),
                new Dictionary<string, double>
                {
                    ["bytes_window"] = _w.ExternalBytesOut,
                    ["bytes_last_hour"] = hour,
                    ["baseline_bytes"] = baseline.Typical,
                    ["score"] = score,
                    ["threshold_bytes_per_hour"] = s.MinBytesPerHour,
                });
            return true;
        }

        /// <summary>
        /// The floor that needs no baseline: a heavy upload the host initiated to one external peer on a port
        /// outside the web/mail/VPN set, summed over <see cref="ExfiltrationSettings.FloorSpan"/>. Severity rises with
        /// the other signals (no history yet, a non-service port, a peer the host beacons to or loops on).
        /// </summary>
        private void ExfiltrationFloor()
        {
            if (_w.TopExternal is not { Count: > 0 } top) return;
            var s = S.Exfiltration;
            long window = _start / _h._c.WindowMs;
            foreach (var e in top.Entries)
            {
                ushort port = (ushort)(e.Key & 0xFFFF);
                if ((e.Key & 0x1_0000u) == 0 || e.Bytes < 1_000_000 || _h._c.FloorExemptPorts.Contains(port)) continue;
                (_h._uploads ??= new UploadTable(_h._c.FloorWindows)).Add(e.Peer, port, window, e.Bytes);
            }

            if (_h._uploads is not { } uploads) return;
            int best = -1;
            double bestBytes = 0;
            for (int i = 0; i < uploads.Count; i++)
            {
                double b = uploads.Total(i, window);
                if (b >= s.FloorBytes && b > bestBytes && uploads.Entries[i].LastWindow == window)
                {
                    best = i;
                    bestBytes = b;
                }
            }

            if (best < 0) return;
            var hit = uploads.Entries[best];
            bool beacon = _h._beacons is { } bt && bt.ConnectionsTo(hit.Peer) >= (uint)S.Beaconing.MinConnections;
            bool loop = false;
            if (_h._loops is { } loops)
            {
                foreach (var l in loops.Entries) loop |= l.Peer.Equals(hit.Peer);
            }

            bool rare = !FlowRules.IsServicePort(hit.Port) && !_h._c.ExtraWellKnown.Contains(hit.Port);
            int severity = 6 + (_learned ? 0 : 1) + (rare ? 1 : 0) + (beacon || loop ? 1 : 0);
            Emit(Detector.Exfiltration, true, beacon || loop ? AttackCatalog.ExfiltrationOverC2Channel : AttackCatalog.ExfiltrationOverAlternativeProtocol,
                Math.Min(severity, 9),
                string.Create(Inv, $"{_h._hostText} uploaded {Bytes(bestBytes)} to {hit.Peer} on port {hit.Port} within {Minutes(s.FloorSpan.Ticks / TimeSpan.TicksPerMillisecond)}{(_learned ? "" : " while still learning its baseline")}: possible exfiltration."),
                [hit.Peer.ToString()], [hit.Port], new Dictionary<string, double>
                {
                    ["bytes_span"] = bestBytes,
                    ["bytes_window"] = _w.ExternalBytesOut,
                    ["floor_bytes"] = s.FloorBytes,
                    ["learned"] = _learned ? 1 : 0,
                    ["beaconing_peer"] = beacon ? 1 : 0,
                    ["looping_peer"] = loop ? 1 : 0,
                });
        }

        private void DnsTunnel()
        {
            if (!_learned || _w.DnsBytes == 0) return;
            var s = S.DnsTunnel;
            double score = _z[(int)BaselineFeature.DnsBytes];
            if (_w.DnsBytes < (ulong)s.MinBytes || score < s.MinScore) return;
            var top = _w.TopDns!.Entries.ToArray().OrderByDescending(e => e.Bytes).ToList();
            var baseline = _h.GetBaseline(BaselineFeature.DnsBytes);
            Emit(Detector.DnsTunnel, true, AttackCatalog.DnsProtocol, 7,
                string.Create(Inv, $"{_h._hostText} sent {Bytes(_w.DnsBytes)} of DNS in {_w.DnsFlows} flows within {Window} (typically {Bytes(baseline.Typical)}), most to {top[0].Peer}: possible DNS tunnel."),
                top.Select(e => e.Peer.ToString()).ToList(), [53], new Dictionary<string, double>
                {
                    ["dns_bytes"] = _w.DnsBytes,
                    ["dns_flows"] = _w.DnsFlows,
                    ["baseline_bytes"] = baseline.Typical,
                    ["score"] = score,
                    ["threshold_bytes"] = s.MinBytes,
                });
        }

        private void LateralMovement()
        {
            if (_w.NewAdminPeers < S.LateralMovement.MinNewPeers || _w.NewAdmin is not { } table) return;
            var entries = table.Entries.ToArray();
            int port = entries.GroupBy(e => e.Key).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key is var k ? (int)k : 0;
            Emit(Detector.LateralMovement, true, AttackCatalog.ForAdminPort(port), _w.NewAdminPeers >= 10 ? 8 : 7,
                string.Create(Inv, $"{_h._hostText} opened admin sessions (port {port}) to {_w.NewAdminPeers} internal hosts it had never used before within {Window}: possible lateral movement."),
                entries.Take(5).Select(e => e.Peer.ToString()).ToList(), entries.Select(e => (int)e.Key).Distinct().Order().ToList(),
                new Dictionary<string, double>
                {
                    ["new_admin_peers"] = _w.NewAdminPeers,
                    ["threshold_new_peers"] = S.LateralMovement.MinNewPeers,
                });
        }

        private void RarePort()
        {
            if (_w.Rare is not { } table || table.Count == 0) return;
            var entries = table.Entries.ToArray().OrderByDescending(e => e.Bytes).ToList();
            var first = entries[0];
            int port = (int)(first.Key & 0xFFFF);
            string proto = ((first.Key >> 16) & 0xFF) == 6 ? "tcp" : "udp";
            bool inbound = (first.Key & 0x100_0000u) != 0;
            Emit(Detector.RarePort, true, AttackCatalog.NonStandardPort, 4,
                string.Create(Inv, $"{_h._hostText} {(inbound ? "received" : "sent")} {Bytes(first.Bytes)} over {Minutes(first.MaxDurationMs)} with {first.Peer} on port {port}/{proto}, a port this host has not used before: unusual port."),
                entries.Select(e => e.Peer.ToString()).Distinct().Take(5).ToList(), entries.Select(e => (int)(e.Key & 0xFFFF)).Distinct().ToList(),
                new Dictionary<string, double>
                {
                    ["bytes"] = first.Bytes,
                    ["duration_ms"] = first.MaxDurationMs,
                    ["new_ports"] = entries.Count,
                    ["threshold_bytes"] = S.RarePort.MinBytes,
                    ["threshold_duration_ms"] = S.RarePort.MinDuration.TotalMilliseconds,
                });
        }

        private void ThreatIntel()
        {
            if (_w.Intel is not { } table || table.Count == 0) return;
            foreach (uint hostInitiated in (ReadOnlySpan<uint>)[1u, 0u])
            {
                var hits = table.Entries.ToArray().Where(e => (e.Key >> 16) == hostInitiated).OrderByDescending(e => e.Flows).ThenByDescending(e => e.Bytes).ToList();
                if (hits.Count == 0) continue;
                var first = hits[0];
                bool actor = hostInitiated == 1;
                uint flows = (uint)hits.Sum(e => e.Flows);
                Emit(Detector.ThreatIntel, actor, AttackCatalog.ThreatIntelMatch, actor ? 8 : 5,
                    actor
                        ? string.Create(Inv, $"{_h._hostText} connected to block-listed {first.Peer} (port {first.Key & 0xFFFF}) in {flows} flows within {Window}.")
                        : string.Create(Inv, $"Block-listed {first.Peer} connected to {_h._hostText} (port {first.Key & 0xFFFF}) in {flows} flows within {Window}."),
                    hits.Select(e => e.Peer.ToString()).Distinct().Take(5).ToList(), hits.Select(e => (int)(e.Key & 0xFFFF)).Distinct().Take(10).ToList(),
                    new Dictionary<string, double>
                    {
                        ["flows"] = flows,
                        ["bytes"] = hits.Sum(e => (double)e.Bytes),
                        ["listed_peers"] = hits.Select(e => e.Peer).Distinct().Count(),
                    });
            }
        }

        /// <summary>
        /// Beaconing, scored as RITA does: four scores in [0, 1] averaged — interval skew (1 - |Bowley|), interval
        /// dispersion (1 - MAD / median: the jitter), size dispersion (1 - MAD / median of sizes) and coverage (how
        /// full the interval history is) — so jittered implants (10-50 %) score about 0.85-0.9 while browsing,
        /// whose intervals disperse far more, is refused outright. Severity reflects confidence: the score, a
        /// non-standard port and persistence raise it; a destination many monitored hosts keep the same channel to
        /// (prevalence) caps it below <see cref="Alert.DefaultForwardingSeverity"/>; well-known service
        /// destinations are not reported.
        /// </summary>
        private void Beaconing()
        {
            if (_h._beacons is not { } table) return;
            var s = S.Beaconing;
            var hits = new List<(FlowAddress Peer, ushort Port, uint Connections, double Median, double Dispersion, double Skew, double SizeMedian, double SizeDispersion, double Score, long SpanMs)>();
            Span<double> buffer = stackalloc double[BeaconTable.RingSize];
            var entries = table.Entries;
            for (int i = 0; i < entries.Length; i++)
            {
                if (!entries[i].Dirty) continue;
                table.ClearDirty(i);
                var intervals = table.Intervals(i);
                if (intervals.Length < Math.Min(6, s.MinConnections - 1)) continue;
                var iv = buffer[..intervals.Length];
                for (int k = 0; k < iv.Length; k++) iv[k] = (float)intervals[k] * 1000.0;
                var (median, q1, q3, mad) = Stats(iv);
                double dispersion = median > 0 ? mad / median : 1;
                // Stats sorted the intervals: the trimmed range ignores one missed or doubled call at either end.
                double range = median > 0 && iv.Length >= 4 ? (iv[^2] - iv[1]) / median : 0;
                // Bowley skewness; like RITA, 0 when the median sits on a quartile, and 0 when the spread is within 2 % of
                // the period (with so little jitter the shape of the spread says nothing).
                double skew = q3 > q1 && median != q1 && median != q3 && (q3 - q1) > 0.02 * median
                    ? (q3 + q1 - (2 * median)) / (q3 - q1) : 0;
                var sizes = table.Sizes(i);
                var sv = buffer[..sizes.Length];
                for (int k = 0; k < sv.Length; k++) sv[k] = (float)sizes[k];
                var (sizeMedian, _, _, sizeMad) = Stats(sv);
                double sizeDispersion = sizeMedian > 0 ? sizeMad / sizeMedian : 0;
                table.MarkIrregular(i, intervals.Length >= 6 && (dispersion > s.MaxIntervalDispersion || range > s.MaxIntervalRange));
                if (intervals.Length < s.MinConnections - 1) continue;
                if (dispersion > s.MaxIntervalDispersion || range > s.MaxIntervalRange || Math.Abs(skew) > s.MaxSkew || sizeDispersion > s.MaxSizeDispersion) continue;
                double coverage = Math.Min(1.0, intervals.Length / (double)BeaconTable.RingSize);
                double score = ((1 - Math.Min(1, Math.Abs(skew))) + (1 - Math.Min(1, dispersion)) + (1 - Math.Min(1, sizeDispersion)) + coverage) / 4;
                if (score < s.MinScore) continue;
                var peer = entries[i].Peer;
                if (_h._c.IsWellKnownService(peer, 0)) continue;
                int hosts = _h._prevalence?.HostsContacting(peer) ?? 1;
                if (hosts >= s.PrevalentHosts)
                {
                    // Software many monitored hosts run: reported once per channel, below the forwarding severity.
                    if (entries[i].ReportedCommon) continue;
                    table.MarkReportedCommon(i);
                }

                hits.Add((peer, entries[i].Port, entries[i].Connections, median, dispersion, skew, sizeMedian, sizeDispersion, score, entries[i].LastStartMs - entries[i].FirstStartMs));
            }

            if (hits.Count == 0) return;
            hits.Sort((p, q) => q.Score.CompareTo(p.Score));
            var best = hits[0];
            int prevalence = _h._prevalence?.HostsContacting(best.Peer) ?? 1;
            bool common = prevalence >= s.PrevalentHosts;
            bool standard = FlowRules.IsServicePort(best.Port) || _h._c.ExtraWellKnown.Contains(best.Port);
            int severity = best.Score >= 0.95 ? 7 : best.Score >= 0.88 ? 6 : 5;
            if (!standard) severity++;
            if (best.SpanMs >= 2 * 3_600_000L) severity++;
            severity = Math.Min(severity, 8);
            if (common) severity = Math.Min(severity, Alert.DefaultForwardingSeverity - 2);
            Emit(Detector.Beaconing, true, AttackCatalog.ApplicationLayerProtocol, severity,
                string.Create(Inv, $"{_h._hostText} contacted {best.Peer} on port {best.Port} every {best.Median / 1000:0.#} s (jitter ±{best.Dispersion * 100:0.#} %) with similar {best.SizeMedian:0}-byte requests over {best.Connections} connections in {Minutes(best.SpanMs)}{(common ? string.Create(Inv, $"; {prevalence} monitored hosts keep the same channel") : "")}: beaconing."),
                hits.Take(5).Select(h => h.Peer.ToString()).ToList(), hits.Select(h => (int)h.Port).Distinct().Take(5).ToList(),
                new Dictionary<string, double>
                {
                    ["connections"] = best.Connections,
                    ["interval_median_ms"] = best.Median,
                    ["interval_dispersion"] = best.Dispersion,
                    ["jitter"] = best.Dispersion,
                    ["interval_skew"] = best.Skew,
                    ["size_median_bytes"] = best.SizeMedian,
                    ["size_dispersion"] = best.SizeDispersion,
                    ["score"] = best.Score,
                    ["span_ms"] = best.SpanMs,
                    ["prevalence_hosts"] = prevalence,
                });
        }

        private static (double Median, double Q1, double Q3, double Mad) Stats(Span<double> v)
        {
            v.Sort();
            double median = Quantile(v, 0.5), q1 = Quantile(v, 0.25), q3 = Quantile(v, 0.75);
            Span<double> dev = stackalloc double[v.Length];
            for (int k = 0; k < v.Length; k++) dev[k] = Math.Abs(v[k] - median);
            dev.Sort();
            return (median, q1, q3, Quantile(dev, 0.5));
        }

        private static double Quantile(ReadOnlySpan<double> sorted, double p)
        {
            double pos = p * (sorted.Length - 1);
            int lo = (int)Math.Floor(pos);
            int hi = Math.Min(sorted.Length - 1, lo + 1);
            return sorted[lo] + ((pos - lo) * (sorted[hi] - sorted[lo]));
        }
    }
}
