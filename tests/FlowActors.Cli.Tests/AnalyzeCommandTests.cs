namespace FlowActors.Cli.Tests;

public class AnalyzeCommandTests
{
    /// <summary>The shared captures (tests/testdata), found from the test binaries upwards.</summary>
    private static string Capture(string name)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string path = Path.Combine(dir.FullName, "tests", "testdata", name);
            if (File.Exists(path)) return path;
            path = Path.Combine(dir.FullName, "testdata", name);
            if (File.Exists(path)) return path;
        }

        throw new FileNotFoundException($"Test capture {name} not found above {AppContext.BaseDirectory}.");
    }

    private static (int Code, string Out, string Err) Run(params string[] args)
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        int code = CommandLine.Run(args, stdout, stderr);
        return (code, stdout.ToString(), stderr.ToString());
    }

    [Fact]
    public void Analyze_prints_one_json_line_per_alert_for_a_syn_flood_capture()
    {
        var (code, output, err) = Run("analyze", Capture("synflood-v9.pcap"));
        Assert.Equal(0, code);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"host\":\"10.99.0.10\"", line);
        Assert.Contains("\"detector\":\"syn-flood\"", line);
        Assert.Contains("6000 flow records", err);
    }

    [Fact]
    public void Analyze_table_lists_the_scanner_and_the_target()
    {
        var (code, output, _) = Run("analyze", Capture("portscan-ipfix.pcap"), "--format", "table");
        Assert.Equal(0, code);
        var lines = output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(3, lines.Length);
        Assert.StartsWith("TIME", lines[0]);
        Assert.Contains(lines, l => l.Contains("10.99.1.30") && l.Contains("actor") && l.Contains("T1046"));
        Assert.Contains(lines, l => l.Contains("10.99.0.10") && l.Contains("target"));
    }

    [Fact]
    public void Analyze_cef_renders_with_the_siem_formatter()
    {
        var (code, output, _) = Run("analyze", Capture("synflood-v9.pcap"), "--format", "cef");
        Assert.Equal(0, code);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.StartsWith("CEF:0|FlowActors|FlowActors|", line);
        Assert.Contains("|syn-flood|", line);
        Assert.Contains(" dst=10.99.0.10 ", line);
    }

    [Fact]
    public void Networks_option_limits_which_hosts_are_monitored()
    {
        var (code, output, _) = Run("analyze", Capture("portscan-v9.pcap"), "--networks", "10.99.1.0/24");
        Assert.Equal(0, code);
        string line = Assert.Single(output.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("\"host\":\"10.99.1.30\"", line);
    }

    [Fact]
    public void Normal_capture_prints_no_alerts()
    {
        var (code, output, _) = Run("analyze", Capture("normal-ipfix.pcap"), Capture("normal-v5.pcap"));
        Assert.Equal(0, code);
        Assert.Equal(string.Empty, output);
    }

    [Fact]
    public void Bad_networks_value_is_a_usage_error_naming_the_setting()
    {
        var (code, _, err) = Run("analyze", Capture("normal-v9.pcap"), "--networks", "10.0.0.0/99");
        Assert.Equal(2, code);
        Assert.Contains("Detection:Networks", err);
    }

    [Fact]
    public void Missing_file_fails()
    {
        var (code, _, err) = Run("analyze", "/nonexistent/capture.pcap");
        Assert.Equal(1, code);
        Assert.Contains("does not exist", err);
    }
}

public class AnalyzeIntelTests
{
    [Fact]
    public void Block_listed_peer_in_a_capture_raises_threat_intel()
    {
        using var dir = new TempDirectory("flowctl-intel");
        string list = dir.File("block.txt");
        File.WriteAllText(list, "# test list\n10.99.1.22\n");
        var stdout = new StringWriter();
        int code = CommandLine.Run(["analyze", FindCapture("synflood-ipfix.pcap"), "--intel", list], stdout, new StringWriter());
        Assert.Equal(0, code);
        Assert.Contains("\"detector\":\"threat-intel\"", stdout.ToString());
        Assert.Contains("\"detector\":\"syn-flood\"", stdout.ToString());
    }

    private static string FindCapture(string name)
    {
        for (var d = new DirectoryInfo(AppContext.BaseDirectory); d is not null; d = d.Parent)
        {
            string path = Path.Combine(d.FullName, "tests", "testdata", name);
            if (File.Exists(path)) return path;
        }

        throw new FileNotFoundException(name);
    }
}
