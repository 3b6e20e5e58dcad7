using FlowActors.Siem.Formats;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

public sealed class LeefFormatterTests
{
    private static readonly AlertFormatContext Context = new() { ProductVersion = "1.2.3", ObserverHostName = "node-1" };

    [Fact]
    public void Port_scan_renders_the_leef_2_header_and_attributes()
    {
        var leef = LeefParser.Parse(LeefFormatter.Format(TestAlerts.PortScan(), Context));
        Assert.Equal(("FlowActors", "FlowActors", "1.2.3", "port-scan"), (leef.Vendor, leef.Product, leef.ProductVersion, leef.EventId));
        Assert.Equal('^', leef.Delimiter);
        var a = leef.Attributes;
        Assert.Equal(new DateTimeOffset(TestAlerts.T0.AddSeconds(42)), LeefParser.ParseDevTime(a["devTime"], a["devTimeFormat"]));
        Assert.Equal("10.0.0.5", a["src"]);
        Assert.Equal("10.0.0.9", a["dst"]);
        Assert.Equal("22", a["dstPort"]);
        Assert.False(a.ContainsKey("srcPort"));
        Assert.Equal("6", a["sev"]);
        Assert.Equal("Discovery", a["cat"]);
        Assert.Equal("0123456789abcdef0123456789abcdef", a["externalId"]);
        Assert.Equal("T1046", a["techniqueId"]);
        Assert.Equal("actor", a["role"]);
        Assert.Equal(TestAlerts.PortScan().Summary, a["msg"]);
    }

    [Fact]
    public void Syn_flood_names_its_protocol()
    {
        var a = LeefParser.Parse(LeefFormatter.Format(TestAlerts.SynFlood(), Context)).Attributes;
        Assert.Equal("TCP", a["proto"]);
        Assert.Equal("198.51.100.23", a["src"]);
        Assert.Equal("443", a["dstPort"]);
    }

    [Fact]
    public void Hostile_values_lose_the_delimiter_tabs_and_line_breaks_and_keep_the_rest()
    {
        string line = LeefFormatter.Format(TestAlerts.Hostile(), Context);
        var leef = LeefParser.Parse(line);
        string msg = leef.Attributes["msg"];
        Assert.DoesNotContain('^', msg);
        Assert.DoesNotContain('\t', msg);
        Assert.DoesNotContain('\n', msg);
        Assert.DoesNotContain('\r', msg);
        Assert.Contains("pipe | equals = backslash \\ end\\", msg);
        Assert.Contains("bracket ] quote \"", msg);
        Assert.Contains("日本語 emoji 🚨", msg);
        Assert.Equal("brute-force x=y\\z", leef.EventId);
        Assert.Equal("hostile-id|=\\]\"", leef.Attributes["externalId"]);
    }

    [Fact]
    public void A_very_long_summary_stays_one_record()
    {
        var leef = LeefParser.Parse(LeefFormatter.Format(TestAlerts.Hostile(veryLong: true), Context));
        Assert.True(leef.Attributes["msg"].Length > 40_000);
    }
}
