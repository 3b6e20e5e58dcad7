using FlowActors.Protocols.SFlow;

namespace FlowActors.Protocols.Tests.SFlow;

/// <summary>A decoder with its tracker and an output buffer, as a receiver would hold them.</summary>
internal sealed class SFlowTestHarness : IDisposable
{
    public const long ReceivedAt = 1_795_000_000_123; // 2026-11-18T09:46:40.123Z
    public static readonly FlowAddress UdpSource = FlowAddress.Parse("198.51.100.9");

    public SFlowTestHarness(SamplingPolicy? sampling = null, int outputCapacity = 1_024)
    {
        Sequences = new SequenceTracker();
        Decoder = new SFlowV5Decoder(sampling ?? SamplingPolicy.Unsampled, Sequences);
        Output = new FlowRecordBuffer(Math.Min(256, outputCapacity), outputCapacity);
    }

    public SequenceTracker Sequences { get; }
    public SFlowV5Decoder Decoder { get; }
    public FlowRecordBuffer Output { get; }

    public DecodeResult Decode(byte[] datagram, long receivedAt = ReceivedAt) =>
        Decoder.Decode(datagram, UdpSource, receivedAt, Output);

    /// <summary>Decodes a datagram expected to yield exactly one record, and returns it.</summary>
    public FlowRecord DecodeSingle(byte[] datagram)
    {
        var result = Decode(datagram);
        Assert.Equal(DecodeError.None, result.Error);
        Assert.Equal(1, result.Records);
        return Assert.Single(Output.Records.ToArray());
    }

    public void Dispose() => Output.Dispose();
}
