using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;

namespace FlowActors.Node.Tests.Harness;

/// <summary>
/// A synthetic NetFlow v9 exporter on its own loopback source address (127.0.0.N), exporting port scans stamped with
/// the current time: each scanner sends SYNs to <see cref="PortsPerScan"/> ports of its own target, so every scan
/// raises one alert per (host, role): (scanner, actor) and (target, target).
/// </summary>
public sealed class ScanExporter : IDisposable
{
    /// <summary>Distinct destination ports per scan: above the port-scan rule's default 15.</summary>
    public const int PortsPerScan = 24;

    private const ushort TemplateId = 256;
    private const int RecordLength = 30;
    private const int RecordsPerDatagram = 24;

    // IPV4_SRC_ADDR, IPV4_DST_ADDR, L4_SRC_PORT, L4_DST_PORT, PROTOCOL, TCP_FLAGS, IN_PKTS, IN_BYTES, FIRST_SWITCHED, LAST_SWITCHED.
    private static readonly ushort[] Fields = [8, 4, 12, 4, 7, 2, 11, 2, 4, 1, 6, 1, 2, 4, 1, 4, 22, 4, 21, 4];

    private readonly Socket _socket;
    private readonly long _bootMs = Environment.TickCount64 - 3_600_000;
    private uint _sequence;

    /// <summary>Binds an exporter socket to 127.0.0.<paramref name="lastOctet"/>.</summary>
    public ScanExporter(byte lastOctet)
    {
        Address = new IPAddress([127, 0, 0, lastOctet]);
        _socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(new IPEndPoint(Address, 0));
    }

    /// <summary>The exporter's source address as the collector sees it.</summary>
    public IPAddress Address { get; }

    /// <summary>Scanner address of scan <paramref name="index"/> in <paramref name="wave"/> (10.wave.index/256.index%256).</summary>
    public static IPAddress Scanner(int wave, int index) => new([10, (byte)(100 + wave), (byte)(index / 250), (byte)(1 + index % 250)]);

    /// <summary>Target address of scan <paramref name="index"/> in <paramref name="wave"/>.</summary>
    public static IPAddress Target(int wave, int index) => new([10, (byte)(200 + wave), (byte)(index / 250), (byte)(1 + index % 250)]);

    /// <summary>The alerts scan <paramref name="index"/> of <paramref name="wave"/> raises, by (host, role).</summary>
    public static IEnumerable<(string Host, string Role)> ExpectedAlerts(int wave, int index) =>
        [(Scanner(wave, index).ToString(), "actor"), (Target(wave, index).ToString(), "target")];

    /// <summary>
    /// Exports the scans <paramref name="indexes"/> of <paramref name="wave"/> to 127.0.0.1:<paramref name="port"/>,
    /// a template in every datagram (so a collector that restarted decodes from the next one); returns the datagrams sent.
    /// </summary>
    public async Task<int> SendScansAsync(int wave, IEnumerable<int> indexes, int port)
    {
        var target = new IPEndPoint(IPAddress.Loopback, port);
        var records = new List<(IPAddress Src, IPAddress Dst, ushort DstPort)>();
        foreach (int i in indexes)
        {
            for (int p = 0; p < PortsPerScan; p++) records.Add((Scanner(wave, i), Target(wave, i), (ushort)(1000 + p * 7)));
        }

        int sent = 0;
        var buffer = new byte[20 + 4 + 4 + Fields.Length * 2 + 4 + RecordsPerDatagram * RecordLength];
        for (int offset = 0; offset < records.Count; offset += RecordsPerDatagram)
        {
            int count = Math.Min(RecordsPerDatagram, records.Count - offset);
            int length = Write(buffer, records.GetRange(offset, count));
            await _socket.SendToAsync(buffer.AsMemory(0, length), SocketFlags.None, target);
            // Paced: loopback receive buffers are small on a loaded CI machine.
            if (++sent % 8 == 0) await Task.Delay(2);
        }

        return sent;
    }

    private int Write(Span<byte> b, List<(IPAddress Src, IPAddress Dst, ushort DstPort)> records)
    {
        long uptime = Environment.TickCount64 - _bootMs;
        BinaryPrimitives.WriteUInt16BigEndian(b, 9);
        BinaryPrimitives.WriteUInt16BigEndian(b[2..], (ushort)(records.Count + 1));
        BinaryPrimitives.WriteUInt32BigEndian(b[4..], (uint)uptime);
        BinaryPrimitives.WriteUInt32BigEndian(b[8..], (uint)DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], _sequence++);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], 7);
        int o = 20;
        // Template FlowSet.
        BinaryPrimitives.WriteUInt16BigEndian(b[o..], 0);
        BinaryPrimitives.WriteUInt16BigEndian(b[(o + 2)..], (ushort)(8 + Fields.Length * 2));
        BinaryPrimitives.WriteUInt16BigEndian(b[(o + 4)..], TemplateId);
        BinaryPrimitives.WriteUInt16BigEndian(b[(o + 6)..], (ushort)(Fields.Length / 2));
        o += 8;
        foreach (ushort f in Fields)
        {
            BinaryPrimitives.WriteUInt16BigEndian(b[o..], f);
            o += 2;
        }

        // Data FlowSet.
        BinaryPrimitives.WriteUInt16BigEndian(b[o..], TemplateId);
        BinaryPrimitives.WriteUInt16BigEndian(b[(o + 2)..], (ushort)(4 + records.Count * RecordLength));
        o += 4;
        uint at = (uint)(uptime - 500);
        foreach (var (src, dst, dstPort) in records)
        {
            src.TryWriteBytes(b[o..], out _);
            dst.TryWriteBytes(b[(o + 4)..], out _);
            BinaryPrimitives.WriteUInt16BigEndian(b[(o + 8)..], 40000);
            BinaryPrimitives.WriteUInt16BigEndian(b[(o + 10)..], dstPort);
            b[o + 12] = 6; // TCP
            b[o + 13] = 0x02; // SYN only: an unanswered probe
            BinaryPrimitives.WriteUInt32BigEndian(b[(o + 14)..], 1);
            BinaryPrimitives.WriteUInt32BigEndian(b[(o + 18)..], 44);
            BinaryPrimitives.WriteUInt32BigEndian(b[(o + 22)..], at);
            BinaryPrimitives.WriteUInt32BigEndian(b[(o + 26)..], at);
            o += RecordLength;
        }

        return o;
    }

    /// <inheritdoc />
    public void Dispose() => _socket.Dispose();
}
