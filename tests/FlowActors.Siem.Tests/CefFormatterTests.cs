using FlowActors.Siem.Formats;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

public sealed class CefFormatterTests
{
    private static readonly AlertFormatContext Context = new() { ProductVersion = "1.2.3", ObserverHostName = "node-1", ObserverIp = "192.0.2.10" };

    [Fact]
    public void Port_scan_renders_the_header_and_standard_keys()
    {
        var cef = CefParser.Parse(CefFormatter.Format(TestAlerts.PortScan(), Context));
        Assert.Equal(0, cef.Version);
        Assert.Equal("FlowActors", cef.DeviceVendor);
        Assert.Equal("FlowActors", cef.DeviceProduct);
        Assert.Equal("1.2.3", cef.DeviceVersion);
        Assert.Equal("port-scan", cef.SignatureId);
        Assert.Equal("T1046 Network Service Discovery", cef.Name);
        Assert.Equal("6", cef.Severity);
        var x = cef.Extension;
        Assert.Equal("1795867242000", x["rt"]); // 2026-11-28T12:00:42Z in ms since the epoch
        Assert.Equal("10.0.0.5", x["src"]);
        Assert.Equal("10.0.0.9", x["dst"]);
        Assert.Equal("22", x["dpt"]);
        Assert.False(x.ContainsKey("spt")); // a flow alert never knows the source port
        Assert.Equal("1", x["cnt"]);
        Assert.Equal("1795867200000", x["start"]);
        Assert.Equal("1795867500000", x["end"]);
        Assert.Equal("0123456789abcdef0123456789abcdef", x["externalId"]);
        Assert.Equal(TestAlerts.PortScan().Summary, x["msg"]);
        Assert.Equal("node-1", x["dvchost"]);
        Assert.Equal("192.0.2.10", x["dvc"]);
        Assert.Equal(("techniqueId", "T1046"), (x["cs1Label"], x["cs1"]));
        Assert.Equal(("techniqueName", "Network Service Discovery"), (x["cs2Label"], x["cs2"]));
        Assert.Equal(("tactic", "TA0007 Discovery"), (x["cs3Label"], x["cs3"]));
        Assert.Equal(("role", "actor"), (x["cs4Label"], x["cs4"]));
        Assert.Equal(("peers", "10.0.0.9,10.0.0.10"), (x["cs5Label"], x["cs5"]));
        Assert.Equal(("ports", "22,80,443"), (x["cs6Label"], x["cs6"]));
        Assert.Equal(("count", "1"), (x["cn1Label"], x["cn1"]));
    }

    [Fact]
    public void Target_role_puts_the_peer_at_the_source_and_names_the_protocol()
    {
        var x = CefParser.Parse(CefFormatter.Format(TestAlerts.SynFlood(), Context)).Extension;
        Assert.Equal("198.51.100.23", x["src"]);
        Assert.Equal("10.0.0.7", x["dst"]);
        Assert.Equal("443", x["dpt"]);
        Assert.Equal("TCP", x["proto"]);
        Assert.Equal("3", x["cnt"]);
        Assert.Equal("3", x["cn1"]);
    }

    [Fact]
    public void Hostile_values_survive_header_and_extension_escaping()
    {
        var alert = TestAlerts.Hostile();
        string line = CefFormatter.Format(alert, Context);
        Assert.DoesNotContain('\n', line);
        Assert.DoesNotContain('\r', line);
        var cef = CefParser.Parse(line);
        Assert.Equal("brute-force|x=y\\z", cef.SignatureId);
        Assert.Equal("T1110 Brute Force | \\ = ] \" é", cef.Name);
        Assert.Equal("7", cef.Severity);
        Assert.Equal(TestAlerts.HostileText, cef.Extension["msg"]);
        Assert.Equal("hostile-id|=\\]\"", cef.Extension["externalId"]);
        Assert.Equal("Brute Force | \\ = ] \" é", cef.Extension["cs2"]);
    }

    [Fact]
    public void Line_breaks_in_header_fields_become_spaces()
    {
        var alert = TestAlerts.PortScan() with { TechniqueName = "two\r\nlines" };
        var cef = CefParser.Parse(CefFormatter.Format(alert, Context));
        Assert.Equal("T1046 two  lines", cef.Name);
        Assert.Equal("two\r\nlines", cef.Extension["cs2"]);
    }

    [Fact]
    public void A_very_long_summary_stays_one_parsable_record()
    {
        var alert = TestAlerts.Hostile(veryLong: true);
        var cef = CefParser.Parse(CefFormatter.Format(alert, Context));
        Assert.Equal(alert.Summary, cef.Extension["msg"]);
        Assert.True(alert.Summary.Length > 40_000);
    }

    [Fact]
    public void Independent_parser_rejects_what_the_specification_forbids()
    {
        Assert.Throws<FormatException>(() => CefParser.Parse("CEF:0|a|b|c|d|e|5|msg=x=y"));
        Assert.Throws<FormatException>(() => CefParser.Parse("CEF:0|a|b|c|d|e|5|msg=line\nbreak"));
        Assert.Throws<FormatException>(() => CefParser.Parse("CEF:0|a|b\\x|c|d|e|5|msg=x"));
        Assert.Throws<FormatException>(() => CefParser.Parse("CEF:0|a|b|c|d|e|11|msg=x"));
        Assert.Equal("a b=c", CefParser.Parse("CEF:0|a|b|c|d|e|5|msg=a b\\=c act=x").Extension["msg"]);
    }
}
