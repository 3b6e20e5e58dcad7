namespace FlowActors.Protocols.Tests;

/// <summary>Runs one datagram through a decoder and returns copies of the records it produced.</summary>
internal static class DecodeHelper
{
    public static readonly FlowAddress Exporter = FlowAddress.Parse("192.0.2.1");

    /// <summary>Receive time used by the tests: 2026-11-28T16:30:20Z.</summary>
    public const long Now = 1_795_883_420_000;

    public static (DecodeResult Result, FlowRecord[] Records) Run(FlowDecoder decoder, byte[] datagram, long now = Now, FlowAddress? exporter = null)
    {
        using var buffer = new FlowRecordBuffer();
        var result = decoder.Decode(datagram, exporter ?? Exporter, now, buffer);
        Assert.Equal(buffer.Count, result.Records);
        return (result, buffer.Records.ToArray());
    }

    public static FlowRecord Single(FlowDecoder decoder, byte[] datagram)
    {
        var (result, records) = Run(decoder, datagram);
        Assert.Equal(DecodeError.None, result.Error);
        return Assert.Single(records);
    }
}
