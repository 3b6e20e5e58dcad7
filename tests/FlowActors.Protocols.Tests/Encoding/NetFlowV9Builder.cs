namespace FlowActors.Protocols.Tests.Encoding;

/// <summary>Builds NetFlow v9 export packets as RFC 3954 §5 lays them out: a 20-byte header and FlowSets.</summary>
public sealed class NetFlowV9Builder
{
    private readonly RecordWriter _sets = new();
    private int _records;

    public uint SysUpTime { get; set; } = 3_600_000;
    public uint UnixSecs { get; set; } = 1_795_883_420;
    public uint Sequence { get; set; } = 1;
    public uint SourceId { get; set; }
    /// <summary>Header count; when null, the number of records and templates added.</summary>
    public ushort? Count { get; set; }

    /// <summary>A template FlowSet (id 0) with one template.</summary>
    public NetFlowV9Builder Template(ushort templateId, params (ushort Type, ushort Length)[] fields)
    {
        var body = new RecordWriter().U16(templateId).U16((ulong)fields.Length);
        foreach (var (t, l) in fields) body.U16(t).U16(l);
        _records++;
        return FlowSet(0, body.ToArray());
    }

    /// <summary>An options template FlowSet (id 1), padded to 4 bytes (RFC 3954 §6.1).</summary>
    public NetFlowV9Builder OptionsTemplate(ushort templateId, (ushort Type, ushort Length)[] scope, (ushort Type, ushort Length)[] options)
    {
        var body = new RecordWriter().U16(templateId).U16((ulong)scope.Length * 4).U16((ulong)options.Length * 4);
        foreach (var (t, l) in scope) body.U16(t).U16(l);
        foreach (var (t, l) in options) body.U16(t).U16(l);
        int pad = (4 - (body.Length + 4) % 4) % 4;
        body.Zeros(pad);
        _records++;
        return FlowSet(1, body.ToArray());
    }

    /// <summary>A data FlowSet of already encoded records, with optional trailing padding.</summary>
    public NetFlowV9Builder Data(ushort templateId, byte[] records, int recordCount = 1, int padding = 0)
    {
        _records += recordCount;
        var body = new RecordWriter().Bytes(records).Zeros(padding);
        return FlowSet(templateId, body.ToArray());
    }

    /// <summary>Any FlowSet; the length is computed.</summary>
    public NetFlowV9Builder FlowSet(ushort id, byte[] body)
    {
        _sets.U16(id).U16((ulong)body.Length + 4).Bytes(body);
        return this;
    }

    /// <summary>Appends raw bytes after the FlowSets (e.g. exporter padding of the packet).</summary>
    public NetFlowV9Builder Raw(params byte[] bytes)
    {
        _sets.Bytes(bytes);
        return this;
    }

    public byte[] Build() =>
        new RecordWriter().U16(9).U16(Count ?? (ushort)_records).U32(SysUpTime).U32(UnixSecs).U32(Sequence).U32(SourceId)
            .Bytes(_sets.ToArray()).ToArray();
}
