namespace FlowActors.Protocols.Tests.Encoding;

/// <summary>One NetFlow v5 record (Cisco's 48-byte layout).</summary>
public sealed record NetFlowV5Record
{
    public string Src { get; init; } = "10.0.0.1";
    public string Dst { get; init; } = "10.0.0.2";
    public string NextHop { get; init; } = "0.0.0.0";
    public ushort Input { get; init; }
    public ushort Output { get; init; }
    public uint Packets { get; init; } = 1;
    public uint Bytes { get; init; } = 40;
    public uint First { get; init; }
    public uint Last { get; init; }
    public ushort SrcPort { get; init; }
    public ushort DstPort { get; init; }
    public byte TcpFlags { get; init; }
    public byte Protocol { get; init; } = 6;
    public byte Tos { get; init; }
    public ushort SrcAs { get; init; }
    public ushort DstAs { get; init; }
    public byte SrcMask { get; init; }
    public byte DstMask { get; init; }
}

/// <summary>Builds NetFlow v5 export datagrams: a 24-byte header and 48-byte records.</summary>
public sealed class NetFlowV5Builder
{
    private readonly List<NetFlowV5Record> _records = new();

    public uint SysUpTime { get; set; } = 3_600_000;
    public uint UnixSecs { get; set; } = 1_795_883_420;
    public uint UnixNsecs { get; set; }
    public uint Sequence { get; set; }
    public byte EngineType { get; set; }
    public byte EngineId { get; set; }
    /// <summary>The raw 16-bit sampling field: 2-bit mode, 14-bit interval.</summary>
    public ushort Sampling { get; set; }
    /// <summary>Header count; when null, the number of records.</summary>
    public ushort? Count { get; set; }

    public NetFlowV5Builder Add(NetFlowV5Record r)
    {
        _records.Add(r);
        return this;
    }

    public byte[] Build()
    {
        var w = new RecordWriter().U16(5).U16(Count ?? (ushort)_records.Count).U32(SysUpTime).U32(UnixSecs).U32(UnixNsecs)
            .U32(Sequence).U8(EngineType).U8(EngineId).U16(Sampling);
        foreach (var r in _records)
        {
            w.Ip(r.Src).Ip(r.Dst).Ip(r.NextHop).U16(r.Input).U16(r.Output).U32(r.Packets).U32(r.Bytes).U32(r.First).U32(r.Last)
                .U16(r.SrcPort).U16(r.DstPort).U8(0).U8(r.TcpFlags).U8(r.Protocol).U8(r.Tos).U16(r.SrcAs).U16(r.DstAs)
                .U8(r.SrcMask).U8(r.DstMask).U16(0);
        }

        return w.ToArray();
    }
}
