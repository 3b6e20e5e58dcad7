using FlowActors.Siem.Formats;
using FlowActors.Siem.Sinks;
using FlowActors.Siem.Tests.Support;

namespace FlowActors.Siem.Tests;

public sealed class TextAndConsoleTests
{
    [Fact]
    public void Console_line_is_one_line_even_for_a_summary_with_line_breaks()
    {
        string line = AlertTextFormatter.Format(TestAlerts.PortScan("x") with { Summary = "a\r\nb\nc" }, AlertFormatContext.Default);
        Assert.Equal("ALERT 2026-11-28T12:00:42.000Z sev 6 port-scan T1046 10.0.0.5: a b c [x]", line);
    }

    [Fact]
    public async Task Console_sink_writes_the_text_rendering()
    {
        var output = new StringWriter();
        await using var sink = new ConsoleSink(output);
        await sink.DeliverAsync([TestAlerts.PortScan("x"), TestAlerts.SynFlood("y")], CancellationToken.None);
        var lines = output.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(AlertTextFormatter.Format(TestAlerts.PortScan("x"), AlertFormatContext.Default), lines[0]);
        Assert.EndsWith("[y]", lines[1], StringComparison.Ordinal);
    }

    [Fact]
    public void Canonical_json_is_the_alert_json_line()
    {
        var alert = TestAlerts.Hostile();
        string json = AlertJsonFormatter.Format(alert, AlertFormatContext.Default);
        Assert.True(Alert.FromJsonLine(json).ContentEquals(alert));
    }

    [Fact]
    public async Task Hec_url_may_name_the_event_endpoint_itself()
    {
        await using var server = new HecTestServer("t", requireAck: false);
        await using var sink = new HecSink(new HecSinkOptions { Url = server.BaseUrl + "/services/collector/event", Token = "t" });
        await sink.DeliverAsync([TestAlerts.PortScan()], CancellationToken.None);
        Assert.Single(server.Events);
    }
}
