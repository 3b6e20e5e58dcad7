using FlowActors.Protocols.SFlow;
using static FlowActors.Protocols.Tests.Capture.PacketBuilder;
using static FlowActors.Protocols.Tests.SFlow.SFlowBuilder;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>The hot path allocates nothing per datagram once agents and streams are known (BenchmarkDotNet measures the same in bench/).</summary>
public class SFlowAllocationTests
{
    [Fact]
    public void Decoding_flow_and_counter_samples_allocates_nothing_after_warm_up()
    {
        var decoder = new SFlowV5Decoder(SamplingPolicy.Unsampled, new SequenceTracker());
        long seen = 0;
        decoder.CountersReceived = (in SFlowInterfaceCounters c) => seen += (long)c.InOctets;
        using var output = new FlowRecordBuffer();
        var agent = FlowAddress.Parse("192.0.2.1");
        var datagrams = new List<byte[]>();
        for (uint seq = 1; seq <= 4; seq++)
        {
            datagrams.Add(new SFlowBuilder(sequence: seq)
                .FlowSample(512, 3, 4,
                    SampledHeader(1, 1518, Ethernet(0x86DD, IPv6("2001:db8::1", "2001:db8::2", 60, IPv6Extension(6, Tcp(1, 443, 0x18))), (0x8100, 10))),
                    ExtendedSwitch(10, 0, 10, 0), ExtendedRouter("10.0.0.254", 24, 24), ExtendedGateway("10.0.0.254", 1, 2, 3, [4, 5]))
                .ExpandedFlowSample(512, 0, 3, 0, 4, SampledIPv4(100, 17, "10.0.0.1", "10.0.0.2", 5, 53, 0, 0))
                .CounterSample(false, GenericInterfaceCounters(3, 1_000_000_000, 100, 1, 100, 1))
                .DiscardedPacket(1)
                .Build());
        }

        long records = 0;
        for (int i = 0; i < 500; i++) records += DecodeAll(decoder, output, datagrams, agent);
        long before = GC.GetAllocatedBytesForCurrentThread();
        for (int i = 0; i < 1_000; i++) records += DecodeAll(decoder, output, datagrams, agent);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.Equal(1_500 * 4 * 2, records);
        Assert.True(seen > 0);
        Assert.Equal(0, allocated);
    }

    private static int DecodeAll(SFlowV5Decoder decoder, FlowRecordBuffer output, List<byte[]> datagrams, FlowAddress source)
    {
        int n = 0;
        foreach (var d in datagrams)
        {
            output.Clear();
            n += decoder.Decode(d, source, 1_000, output).Records;
        }

        return n;
    }
}
