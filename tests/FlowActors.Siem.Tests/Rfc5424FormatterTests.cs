using System.Text.Json;
using FlowActors.Siem.Formats;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

public sealed class Rfc5424FormatterTests
{
    private static AlertFormatContext Context(AlertFormat inner, int facility = SyslogFacilities.Local4) =>
        new() { ProductVersion = "1.2.3", ObserverHostName = "node-1", SyslogFacility = facility, AppName = "flowactors", InnerFormat = inner };

    [Fact]
    public void Header_carries_pri_from_facility_and_mapped_severity_and_the_event_time()
    {
        var m = SyslogParser.Parse(Rfc5424Formatter.Format(TestAlerts.PortScan(), Context(AlertFormat.Cef)));
        Assert.Equal(20, m.Facility);
        Assert.Equal(4, m.Severity); // alert severity 6 -> warning
        Assert.Equal(1, m.Version);
        Assert.Equal(new DateTimeOffset(TestAlerts.T0.AddSeconds(42)), m.Timestamp);
        Assert.Equal("node-1", m.HostName);
        Assert.Equal("flowactors", m.AppName);
        Assert.Null(m.ProcId);
        Assert.Equal("port-scan", m.MsgId);
        var sd = Assert.Single(m.StructuredData);
        Assert.Equal("flowactors@32473", sd.Id);
        Assert.Equal("0123456789abcdef0123456789abcdef", sd["id"]);
        Assert.Equal("T1046", sd["technique"]);
        Assert.Equal("TA0007", sd["tactic"]);
        Assert.Equal("10.0.0.5", sd["host"]);
        Assert.Equal("1", sd["count"]);
        Assert.Equal("10.0.0.9", CefParser.Parse(m.Msg).Extension["dst"]);
    }

    [Theory]
    [InlineData(10, 2)]
    [InlineData(9, 2)]
    [InlineData(8, 3)]
    [InlineData(7, 3)]
    [InlineData(6, 4)]
    [InlineData(5, 4)]
    [InlineData(4, 5)]
    [InlineData(3, 5)]
    [InlineData(2, 6)]
    [InlineData(0, 6)]
    public void Alert_severity_maps_to_syslog_severity(int alert, int syslog)
    {
        var m = SyslogParser.Parse(Rfc5424Formatter.Format(TestAlerts.PortScan() with { Severity = alert }, Context(AlertFormat.Cef, facility: 4)));
        Assert.Equal(syslog, m.Severity);
        Assert.Equal(4, m.Facility);
    }

    [Fact]
    public void Structured_data_escapes_quote_backslash_and_bracket()
    {
        var m = SyslogParser.Parse(Rfc5424Formatter.Format(TestAlerts.Hostile(), Context(AlertFormat.Cef)));
        var sd = Assert.Single(m.StructuredData);
        Assert.Equal("hostile-id|=\\]\"", sd["id"]);
        Assert.Equal("brute-force|x=y\\z", sd["detector"]);
        Assert.Equal("brute-force|x=y\\z", m.MsgId);
        Assert.Equal(TestAlerts.HostileText, CefParser.Parse(m.Msg).Extension["msg"]);
    }

    [Fact]
    public void Msg_is_leef_or_ecs_json_as_configured()
    {
        var leef = SyslogParser.Parse(Rfc5424Formatter.Format(TestAlerts.PortScan(), Context(AlertFormat.Leef)));
        Assert.Equal("10.0.0.9", LeefParser.Parse(leef.Msg).Attributes["dst"]);
        var json = SyslogParser.Parse(Rfc5424Formatter.Format(TestAlerts.Hostile(), Context(AlertFormat.Json)));
        using var doc = JsonDocument.Parse(json.Msg);
        Assert.Equal(TestAlerts.HostileText, doc.RootElement.GetProperty("message").GetString());
    }

    [Fact]
    public void Header_fields_are_cut_to_printable_ascii()
    {
        var context = Context(AlertFormat.Cef) with { ObserverHostName = "nöde 1", AppName = new string('a', 60) };
        var m = SyslogParser.Parse(Rfc5424Formatter.Format(TestAlerts.PortScan() with { Detector = "a very long detector name over 32 chars" }, context));
        Assert.Equal("n_de_1", m.HostName);
        Assert.Equal(new string('a', 48), m.AppName);
        Assert.Equal(32, m.MsgId!.Length);
    }

    [Fact]
    public void Independent_parser_rejects_an_unescaped_bracket()
    {
        Assert.Throws<FormatException>(() => SyslogParser.Parse("<165>1 2026-11-28T12:00:42.000Z h a - m [x@1 id=\"a]b\"] msg"));
        Assert.Throws<FormatException>(() => SyslogParser.Parse("<192>1 - h a - m - msg"));
        Assert.Equal("a]b", SyslogParser.Parse("<165>1 - h a - m [x@1 id=\"a\\]b\"] msg").StructuredData[0]["id"]);
    }
}
