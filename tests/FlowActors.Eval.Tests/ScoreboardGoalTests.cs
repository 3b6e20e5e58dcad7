namespace FlowActors.Eval.Tests;

/// <summary>
/// The scoreboard's goals (issue 9), on the committed captures and the deterministic benign networks, replayed
/// through FlowAnalyzer exactly as <c>build.ps1 eval</c> does.
/// </summary>
public class ScoreboardGoalTests
{
    private static readonly Lazy<Scoreboard> Board = new(() => Scoreboard.Run(Cases.All(AppContext.BaseDirectory)));

    public static TheoryData<string> AttackCases() => [.. Cases.Attacks(AppContext.BaseDirectory).Select(c => c.Name)];

    [Theory]
    [MemberData(nameof(AttackCases))]
    public void Every_attack_behaviour_is_detected_with_the_right_technique(string name)
    {
        var r = Board.Value.Results.Single(x => x.Case.Name == name);
        Assert.NotEmpty(r.Detections);
        Assert.All(r.Detections, d => Assert.True(d.First is not null, $"{name}: {d.Behaviour.Name} missed"));
    }

    [Theory]
    [MemberData(nameof(AttackCases))]
    public void Attack_cases_raise_no_unexplained_forwarded_alert(string name)
    {
        // In particular a scanned victim is never the actor of its own SYN-ACKs, RSTs and ICMP errors.
        var r = Board.Value.Results.Single(x => x.Case.Name == name);
        Assert.Empty(r.UnexplainedForwarded.Select(a => $"{a.Host} {a.Role} {a.Detector}: {a.Summary}"));
    }

    [Fact]
    public void Benign_traffic_raises_less_than_one_unexplained_alert_per_thousand_host_hours_over_two_thousand()
    {
        var b = Board.Value;
        Assert.True(b.BenignHostHours >= 2_000, $"only {b.BenignHostHours:0} benign host-hours");
        Assert.True(b.BenignUnexplainedPerThousandHostHours < 1, $"{b.BenignUnexplained} unexplained forwarded alerts in {b.BenignHostHours:0} host-hours");
    }

    [Fact]
    public void Every_scanner_gives_at_most_one_inbound_scan_alert()
    {
        Assert.All(Board.Value.Results, r => Assert.True(r.MaxInboundScanAlertsPerScanner <= 1, $"{r.Case.Name}: {r.MaxInboundScanAlertsPerScanner} inbound-scan alerts for one scanner"));
    }

    [Fact]
    public void Scoreboard_prints_every_case_and_the_totals_last()
    {
        var text = new StringWriter();
        Board.Value.Print(text);
        string s = text.ToString();
        foreach (var r in Board.Value.Results) Assert.Contains(r.Case.Name, s);
        string last = s.TrimEnd().Split('\n')[^1];
        Assert.StartsWith("GOALS", last);
        Assert.True(Board.Value.GoalsMet, s);
    }
}
