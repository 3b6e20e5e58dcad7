using static FlowActors.Protocols.Tests.Capture.PacketBuilder;
using static FlowActors.Protocols.Tests.SFlow.SFlowBuilder;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>The facade recognises sFlow v5 (a 32-bit version word of 5, unlike NetFlow v5's 16-bit one) and shares its policy and tracker.</summary>
public class FlowDecoderSFlowTests
{
    [Fact]
    public void FlowDecoder_sends_sflow_v5_datagrams_to_the_sflow_decoder()
    {
        var decoder = new FlowDecoder(new FlowDecoderOptions { Sampling = new SamplingPolicy(defaultRate: 8) });
        using var output = new FlowRecordBuffer();
        var datagram = new SFlowBuilder(agent: "192.0.2.50", sequence: 77)
            .FlowSample(0, 1, 2, SampledHeader(1, 100, Ethernet(0x0800, IPv4("10.0.0.1", "10.0.0.2", 17, Udp(1, 53, new byte[10])))))
            .Build();

        var result = decoder.Decode(datagram, FlowAddress.Parse("198.51.100.1"), 1_000, output);

        Assert.Equal(new DecodeResult(DecodeError.None, FlowRecord.SFlowVersion, 1), result);
        var r = output.Records[0];
        Assert.Equal(FlowRecord.SFlowVersion, r.Version);
        Assert.Equal(8u, r.SamplingRate); // the facade's sampling policy applies
        Assert.Equal(78u, decoder.Sequences.Streams[new SequenceStreamKey(FlowAddress.Parse("192.0.2.50"), FlowRecord.SFlowVersion, 0)].Expected);
    }
}
