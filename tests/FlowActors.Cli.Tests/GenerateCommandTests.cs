using System.Net;
using System.Net.Sockets;
using FlowActors.Protocols;

namespace FlowActors.Cli.Tests;

public class GenerateCommandTests
{
    [Fact]
    public void Generated_NetFlow_v9_over_loopback_decodes_to_the_requested_flows_and_hosts()
    {
        using var collector = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        collector.ReceiveBufferSize = 8 * 1024 * 1024;
        collector.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)collector.LocalEndPoint!).Port;

        // 1,000 flows at 25 per datagram = 40 datagrams; small enough that loopback loses none.
        var run = FlowctlRun.Invoke("generate", "--to", $"127.0.0.1:{port}", "--flows", "1000", "--hosts", "7", "--seed", "3");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("datagrams: 40", run.Stderr);
        Assert.Contains("flows: 1000", run.Stderr);

        var decoder = new FlowDecoder();
        using var output = new FlowRecordBuffer();
        var buffer = new byte[65_536];
        var hosts = new HashSet<FlowAddress>();
        int datagrams = 0;
        collector.ReceiveTimeout = 5_000;
        while (datagrams < 40)
        {
            int n = collector.Receive(buffer);
            var result = decoder.Decode(buffer.AsSpan(0, n), FlowAddress.FromV4(0x7F000001), 0, output);
            Assert.Equal(DecodeError.None, result.Error);
            datagrams++;
        }

        Assert.Equal(1000, output.Count);
        foreach (ref readonly var r in output.Records)
        {
            hosts.Add(r.SrcAddr);
            Assert.Equal((ushort)9, r.Version);
            Assert.True(r.Packets >= 1 && r.Bytes >= 60 * r.Packets, $"packets {r.Packets}, bytes {r.Bytes}");
            Assert.Contains(r.DstPort, new ushort[] { 443, 80, 53, 123 });
            Assert.True(r.EndMs >= r.StartMs);
        }

        Assert.Equal(7, hosts.Count);
        Assert.All(hosts, h => Assert.Equal(10u, h.V4 >> 24));
        Assert.Equal(0, decoder.Sequences.TotalGaps);
    }

    [Theory]
    [InlineData(new[] { "--flows", "10" }, "--to HOST:PORT is required.")]
    [InlineData(new[] { "--to", "127.0.0.1:9", "--per-datagram", "41" }, "'41' is not a valid value for --per-datagram.")]
    [InlineData(new[] { "--to", "nowhere" }, "'nowhere' is not a valid value for --to.")]
    [InlineData(new[] { "--to", "127.0.0.1:9", "--bogus", "1" }, "unknown option '--bogus'.")]
    public void Bad_arguments_are_usage_errors_that_name_the_option(string[] args, string message)
    {
        var run = FlowctlRun.Invoke(["generate", .. args]);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains(message, run.Stderr);
    }
}

public class ReplayCommandTests
{
    [Fact]
    public void Replayed_capture_reaches_the_collector_datagram_for_datagram_in_order()
    {
        using var collector = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        collector.ReceiveBufferSize = 8 * 1024 * 1024;
        collector.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        int port = ((IPEndPoint)collector.LocalEndPoint!).Port;
        string capture = FlowctlRun.TestData("normal-v9.pcap");

        var run = FlowctlRun.Invoke("replay", capture, "--to", $"127.0.0.1:{port}");
        Assert.Equal(0, run.ExitCode);
        Assert.Contains("datagrams: 7", run.Stderr);

        // What arrives decodes to exactly the capture's 191 records (testdata/README: normal-v9 holds 191 flows).
        var decoder = new FlowDecoder();
        using var output = new FlowRecordBuffer();
        var buffer = new byte[65_536];
        collector.ReceiveTimeout = 5_000;
        using var reader = Protocols.Capture.PcapReader.Open(capture);
        while (reader.TryReadNext(out var expected))
        {
            int n = collector.Receive(buffer);
            Assert.True(expected.Payload.Span.SequenceEqual(buffer.AsSpan(0, n)));
            decoder.Decode(buffer.AsSpan(0, n), FlowAddress.FromV4(0x7F000001), 0, output);
        }

        Assert.Equal(191, output.Count);
    }

    [Fact]
    public void Replay_of_a_missing_file_fails_with_exit_code_1_naming_it()
    {
        var run = FlowctlRun.Invoke("replay", "/nonexistent/x.pcap", "--to", "127.0.0.1:9");
        Assert.Equal(1, run.ExitCode);
        Assert.Contains("/nonexistent/x.pcap", run.Stderr);
    }
}
