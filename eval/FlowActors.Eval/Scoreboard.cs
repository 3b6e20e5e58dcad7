using System.Globalization;
using FlowActors.Detection;
using FlowActors.Protocols;

namespace FlowActors.Eval;

/// <summary>The result of one case.</summary>
public sealed class CaseResult
{
    /// <summary>The case.</summary>
    public required Case Case { get; init; }

    /// <summary>Every alert (updates included).</summary>
    public required IReadOnlyList<Alert> Alerts { get; init; }

    /// <summary>Per expected behaviour, the first alert that reported it (null when missed).</summary>
    public required IReadOnlyList<(Behaviour Behaviour, Alert? First, TimeSpan? TimeToDetect)> Detections { get; init; }

    /// <summary>Unexplained alerts (matching no expected or allowed behaviour), one per unique id, at or above <see cref="Alert.DefaultForwardingSeverity"/>.</summary>
    public required IReadOnlyList<Alert> UnexplainedForwarded { get; init; }

    /// <summary>Unexplained alerts below the forwarding severity, one per unique id.</summary>
    public required IReadOnlyList<Alert> UnexplainedBelow { get; init; }

    /// <summary>Monitored host-hours the case covers (each host from its first to its last flow).</summary>
    public required double HostHours { get; init; }

    /// <summary>Most distinct inbound-scan alert ids naming one scanner among their peers (goal: at most 1).</summary>
    public required int MaxInboundScanAlertsPerScanner { get; init; }

    /// <summary>Flow records replayed.</summary>
    public required long Records { get; init; }
}

/// <summary>Replays the cases through <see cref="FlowAnalyzer"/> (the path of <c>flowctl analyze</c>) and scores them.</summary>
public sealed class Scoreboard
{
    private static readonly CultureInfo Inv = CultureInfo.InvariantCulture;

    private Scoreboard(IReadOnlyList<CaseResult> results) => Results = results;

    /// <summary>Results, one per case, in case order.</summary>
    public IReadOnlyList<CaseResult> Results { get; }

    /// <summary>Expected attack behaviours.</summary>
    public int Expected => Results.Sum(r => r.Detections.Count);

    /// <summary>Expected attack behaviours detected with a right technique.</summary>
    public int Detected => Results.Sum(r => r.Detections.Count(d => d.First is not null));

    /// <summary>Benign host-hours replayed.</summary>
    public double BenignHostHours => Results.Where(r => r.Case.Kind == "benign").Sum(r => r.HostHours);

    /// <summary>Unexplained forwarded alerts (unique ids) on benign cases.</summary>
    public int BenignUnexplained => Results.Where(r => r.Case.Kind == "benign").Sum(r => r.UnexplainedForwarded.Count);

    /// <summary>Unexplained forwarded alerts per 1,000 benign host-hours.</summary>
    public double BenignUnexplainedPerThousandHostHours => BenignHostHours > 0 ? BenignUnexplained * 1000 / BenignHostHours : double.NaN;

    /// <summary>Unexplained forwarded alerts on attack cases (e.g. a victim made the actor of its own answers).</summary>
    public int AttackUnexplained => Results.Where(r => r.Case.Kind == "attack").Sum(r => r.UnexplainedForwarded.Count);

    /// <summary>Every goal: all behaviours detected, &lt; 1 unexplained alert per 1,000 benign host-hours on at least 2,000, none on attack cases, at most one inbound-scan alert per scanner.</summary>
    public bool GoalsMet =>
        Detected == Expected && BenignHostHours >= 2_000 && BenignUnexplainedPerThousandHostHours < 1 && AttackUnexplained == 0
        && Results.All(r => r.MaxInboundScanAlertsPerScanner <= 1);

    /// <summary>Runs every case.</summary>
    public static Scoreboard Run(IEnumerable<Case> cases) => new([.. cases.Select(RunCase)]);

    /// <summary>Runs one case.</summary>
    public static CaseResult RunCase(Case c)
    {
        var settings = new DetectionSettings { Networks = [.. c.Networks] };
        var analyzer = new FlowAnalyzer(settings);
        var networks = new NetworkClassifier(c.Networks);
        var alerts = new List<Alert>();
        var firstSeen = new Dictionary<FlowAddress, long>();
        var lastSeen = new Dictionary<FlowAddress, long>();
        long records = 0;
        foreach (var r in c.Records())
        {
            records++;
            analyzer.Add(in r, alerts);
            Seen(r.SrcAddr, r);
            Seen(r.DstAddr, r);
        }

        analyzer.Finish(alerts);

        void Seen(FlowAddress a, in FlowRecord r)
        {
            if (!networks.IsMonitored(a)) return;
            if (!firstSeen.TryGetValue(a, out long f) || r.StartMs < f) firstSeen[a] = r.StartMs;
            if (!lastSeen.TryGetValue(a, out long l) || r.EndMs > l) lastSeen[a] = r.EndMs;
        }

        // Latest state per alert id (updates of one alert are one alert).
        var unique = alerts.GroupBy(a => a.Id).Select(g => g.Last()).ToList();
        var detections = c.Expected.Select(b =>
        {
            var first = alerts.Where(b.Matches).OrderBy(a => a.Time).FirstOrDefault();
            TimeSpan? ttd = first is null || !firstSeen.TryGetValue(FlowAddress.Parse(b.Host), out long start)
                ? null : first.Time - DateTime.UnixEpoch.AddMilliseconds(start);
            return (b, first, ttd);
        }).ToList();
        var unexplained = unique.Where(a => !c.Expected.Any(b => b.Matches(a)) && !c.Allowed.Any(b => b.Matches(a))).ToList();
        int perScanner = unique.Where(a => a.Detector == "inbound-scan")
            .SelectMany(a => a.Peers.Select(p => (p, a.Id))).GroupBy(x => x.p).Select(g => g.Select(x => x.Id).Distinct().Count()).DefaultIfEmpty(0).Max();
        var subjects = c.Subjects is { } list ? new NetworkClassifier(list) : networks;
        double hours = firstSeen.Where(kv => subjects.IsMonitored(kv.Key)).Sum(kv => (lastSeen[kv.Key] - kv.Value) / 3_600_000.0);
        return new CaseResult
        {
            Case = c,
            Alerts = alerts,
            Detections = detections,
            UnexplainedForwarded = [.. unexplained.Where(a => a.Severity >= Alert.DefaultForwardingSeverity)],
            UnexplainedBelow = [.. unexplained.Where(a => a.Severity < Alert.DefaultForwardingSeverity)],
            HostHours = hours,
            MaxInboundScanAlertsPerScanner = perScanner,
            Records = records,
        };
    }

    /// <summary>Prints the scoreboard: per case the behaviours expected and detected, unexplained alerts, time to detect; totals last.</summary>
    public void Print(TextWriter o)
    {
        o.WriteLine("FlowActors detection scoreboard (flows replayed through FlowAnalyzer, as `flowctl analyze`)");
        o.WriteLine(string.Create(Inv, $"Unexplained = alerts matching no expected or allowed behaviour, counted by unique alert id; 'fwd' at or above the default forwarding severity {Alert.DefaultForwardingSeverity}, 'low' below it."));
        o.WriteLine();
        o.WriteLine($"{"CASE",-28} {"KIND",-6} {"RECORDS",8} {"HOST-H",8}  {"BEHAVIOUR (EXPECTED)",-44} {"DETECTED",-36} {"TTD",8}  {"UNEXPL fwd/low",14}");
        foreach (var r in Results)
        {
            string unexplained = string.Create(Inv, $"{r.UnexplainedForwarded.Count}/{r.UnexplainedBelow.Count}");
            if (r.Detections.Count == 0)
            {
                o.WriteLine(string.Create(Inv, $"{r.Case.Name,-28} {r.Case.Kind,-6} {r.Records,8} {r.HostHours,8:0.0}  {"(none: benign)",-44} {"-",-36} {"-",8}  {unexplained,14}"));
            }

            for (int i = 0; i < r.Detections.Count; i++)
            {
                var (b, first, ttd) = r.Detections[i];
                string expected = $"{b.Name} [{string.Join('/', b.Techniques)}]";
                string detected = first is null ? "MISSED" : string.Create(Inv, $"{first.Detector} {first.Technique} sev {first.Severity}");
                string time = ttd is { } t ? string.Create(Inv, $"{t.TotalMinutes:0.0}m") : "-";
                o.WriteLine(i == 0
                    ? string.Create(Inv, $"{r.Case.Name,-28} {r.Case.Kind,-6} {r.Records,8} {r.HostHours,8:0.0}  {expected,-44} {detected,-36} {time,8}  {unexplained,14}")
                    : string.Create(Inv, $"{"",-28} {"",-6} {"",8} {"",8}  {expected,-44} {detected,-36} {time,8}"));
            }

            var shown = r.UnexplainedForwarded.Concat(r.UnexplainedBelow).ToList();
            foreach (var a in shown.Take(8))
            {
                o.WriteLine(string.Create(Inv, $"{"",-28}   unexplained: {a.Host} {a.Role} {a.Detector} {a.Technique} sev {a.Severity} x{a.Count}: {a.Summary}"));
            }

            if (shown.Count > 8) o.WriteLine(string.Create(Inv, $"{"",-28}   ... and {shown.Count - 8} more unexplained"));
        }

        o.WriteLine();
        o.WriteLine("How each case was made:");
        foreach (var r in Results) o.WriteLine($"  {r.Case.Name}: {r.Case.MadeBy}");
        o.WriteLine();
        o.WriteLine(string.Create(Inv, $"TOTAL attack behaviours detected with the right technique: {Detected} / {Expected}"));
        o.WriteLine(string.Create(Inv, $"TOTAL unexplained forwarded alerts on attack cases: {AttackUnexplained}"));
        o.WriteLine(string.Create(Inv, $"TOTAL benign: {BenignHostHours:0} host-hours, {BenignUnexplained} unexplained forwarded alerts = {BenignUnexplainedPerThousandHostHours:0.00} per 1,000 host-hours ({Results.Where(r => r.Case.Kind == "benign").Sum(r => r.UnexplainedBelow.Count)} below the forwarding severity)"));
        o.WriteLine(string.Create(Inv, $"TOTAL most inbound-scan alerts for one scanner: {Results.Max(r => r.MaxInboundScanAlertsPerScanner)}"));
        o.WriteLine($"GOALS {(GoalsMet ? "MET" : "NOT MET")}: every behaviour detected; < 1 unexplained alert per 1,000 benign host-hours on >= 2,000; none on attack cases; <= 1 inbound-scan alert per scanner.");
    }
}
