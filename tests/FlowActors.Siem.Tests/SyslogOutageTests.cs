using FlowActors.Siem.Sinks;
using FlowActors.Siem.Tests.Support;
using Xunit.Abstractions;

namespace FlowActors.Siem.Tests;

/// <summary>
/// The syslog sink across a receiver outage, retried the way the forwarder retries. Syslog has no acknowledgement:
/// whatever rsyslog had not read or written when it stopped (SIGTERM) or died (SIGKILL) is gone, so the sink re-sends
/// its last frames on the next connection (ReplayBytes). Every alert must arrive; duplicates are counted and printed.
/// </summary>
public sealed class SyslogOutageTests
{
    private readonly ITestOutputHelper _output;

    public SyslogOutageTests(ITestOutputHelper output) => _output = output;

    [Theory]
    [InlineData("tcp")]
    [InlineData("tls")]
    public async Task Clean_receiver_restart_mid_stream_loses_nothing(string transport)
    {
        using var certs = new TestCertificates();
        await using var rsyslog = transport == "tls"
            ? await RsyslogServer.StartAsync(RsyslogListener.Tls, certs.Files)
            : await RsyslogServer.StartAsync(RsyslogListener.UdpAndTcp);
        await using var sink = new SyslogSink(new SyslogSinkOptions
        {
            Transport = transport, Host = "127.0.0.1", Port = rsyslog.TcpPort, CaFile = transport == "tls" ? certs.Files.CaFile : null,
        });
        var (sent, got, attempts) = await RunAsync(sink, rsyslog, "outage-" + transport, kill: false);
        Report($"{transport} clean restart of rsyslog", sent, got, attempts, sink, rsyslog, "outage-" + transport);
        Assert.Equal(sent, got.Count);
    }

    [Fact]
    public async Task Killed_receiver_mid_stream_loses_nothing_with_replay()
    {
        await using var rsyslog = await RsyslogServer.StartAsync(RsyslogListener.UdpAndTcp);
        await using var sink = new SyslogSink(new SyslogSinkOptions { Transport = "tcp", Host = "127.0.0.1", Port = rsyslog.TcpPort });
        var (sent, got, attempts) = await RunAsync(sink, rsyslog, "killed", kill: true);
        Report("tcp kill -9 of rsyslog", sent, got, attempts, sink, rsyslog, "killed");
        Assert.Equal(sent, got.Count);
    }

    [Fact]
    public async Task Without_replay_a_killed_receiver_loses_what_it_held()
    {
        // The reason ReplayBytes exists, shown: the batches after the kill arrive, some before it may not.
        await using var rsyslog = await RsyslogServer.StartAsync(RsyslogListener.UdpAndTcp);
        await using var sink = new SyslogSink(new SyslogSinkOptions { Transport = "tcp", Host = "127.0.0.1", Port = rsyslog.TcpPort, ReplayBytes = 0 });
        var (sent, got, attempts) = await RunAsync(sink, rsyslog, "noreplay", kill: true, requireAll: false);
        Report("tcp kill -9, ReplayBytes 0", sent, got, attempts, sink, rsyslog, "noreplay");
        Assert.Equal(0, sink.ReplayedCount);
        Assert.Subset(got, TestAlerts.Many(3000, "noreplay").Skip(20 * 50).Select(a => a.Id).ToHashSet());
    }

    private void Report(string what, int sent, HashSet<string> got, int attempts, SyslogSink sink, RsyslogServer rsyslog, string prefix)
    {
        int lines = rsyslog.ReceivedLines().Count(l => l.Contains(prefix, StringComparison.Ordinal));
        string line = $"{what}: {sent} sent, {got.Count} distinct arrived, {sent - got.Count} lost, {lines - got.Count} duplicates, {sink.ReplayedCount} replayed, {attempts} delivery attempts";
        _output.WriteLine(line);
        Console.WriteLine(line);
    }

    private static async Task<(int Sent, HashSet<string> Got, int Attempts)> RunAsync(SyslogSink sink, RsyslogServer rsyslog, string prefix, bool kill, bool requireAll = true)
    {
        var alerts = TestAlerts.Many(3000, prefix);
        int attempts = 0;
        int batchNo = 0;
        foreach (var batch in alerts.Chunk(50))
        {
            if (batchNo++ == 20)
            {
                await rsyslog.StopAsync(kill);
                _ = Task.Run(async () =>
                {
                    await Task.Delay(1500);
                    await rsyslog.StartAgainAsync();
                });
            }

            var deadline = DateTime.UtcNow.AddSeconds(90);
            while (true)
            {
                attempts++;
                try
                {
                    await sink.DeliverAsync(batch, CancellationToken.None);
                    break;
                }
                catch (Exception e) when (e is IOException or SinkRetryException or System.Security.Authentication.AuthenticationException && DateTime.UtcNow < deadline)
                {
                    await Task.Delay(e is SinkRetryException { RetryAfter: { } wait } ? wait : TimeSpan.FromMilliseconds(100));
                }
            }
        }

        // Everything sent after the outage began must arrive, and with replay everything before it too.
        var required = (requireAll ? alerts : alerts.Skip(20 * 50)).Select(a => a.Id).ToList();
        HashSet<string> got = [];
        await Eventually.TrueAsync(() => required.All((got = Received.Syslog(rsyslog.ReceivedLines(), prefix).Keys.ToHashSet()).Contains),
            TimeSpan.FromSeconds(60),
            () => $"{required.Count(id => !got.Contains(id))} of the {required.Count} alerts that must arrive did not, e.g. {string.Join(", ", required.Where(id => !got.Contains(id)).Take(5))}");
        return (alerts.Count, got, attempts);
    }
}
