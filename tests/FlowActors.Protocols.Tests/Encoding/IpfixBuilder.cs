namespace FlowActors.Protocols.Tests.Encoding;

/// <summary>A field specifier of an IPFIX template (RFC 7011 §3.2); <see cref="Pen"/> non-zero sets the enterprise bit.</summary>
public readonly record struct IpfixField(ushort Id, ushort Length, uint Pen = 0)
{
    public const ushort Variable = 0xFFFF;

    public static implicit operator IpfixField((ushort Id, ushort Length) f) => new(f.Id, f.Length);
}

/// <summary>Builds IPFIX messages as RFC 7011 §3 lays them out: a 16-byte header and sets.</summary>
public sealed class IpfixBuilder
{
    private readonly RecordWriter _sets = new();

    public uint ExportTime { get; set; } = 1_795_883_420;
    public uint Sequence { get; set; }
    public uint DomainId { get; set; }
    /// <summary>Header length; when null, the real length.</summary>
    public ushort? Length { get; set; }

    /// <summary>A template set (id 2) with one template record.</summary>
    public IpfixBuilder Template(ushort templateId, params IpfixField[] fields)
    {
        var body = new RecordWriter().U16(templateId).U16((ulong)fields.Length);
        Specifiers(body, fields);
        return Set(2, body.ToArray());
    }

    /// <summary>An options template set (id 3) with one options template record; the first <paramref name="scopeCount"/> fields are scope.</summary>
    public IpfixBuilder OptionsTemplate(ushort templateId, int scopeCount, params IpfixField[] fields)
    {
        var body = new RecordWriter().U16(templateId).U16((ulong)fields.Length).U16((ulong)scopeCount);
        Specifiers(body, fields);
        return Set(3, body.ToArray());
    }

    /// <summary>A template withdrawal (field count 0) in a template set, or options template set when <paramref name="options"/>.</summary>
    public IpfixBuilder Withdraw(ushort templateId, bool options = false) =>
        Set(options ? (ushort)3 : (ushort)2, new RecordWriter().U16(templateId).U16(0).ToArray());

    /// <summary>RFC 7011 §8.1: withdraws all templates (id 2) or all options templates (id 3) of the domain.</summary>
    public IpfixBuilder WithdrawAll(bool options = false) => Withdraw(options ? (ushort)3 : (ushort)2, options);

    /// <summary>A data set of encoded records, with optional trailing padding.</summary>
    public IpfixBuilder Data(ushort templateId, byte[] records, int padding = 0) =>
        Set(templateId, new RecordWriter().Bytes(records).Zeros(padding).ToArray());

    /// <summary>Any set; the length is computed.</summary>
    public IpfixBuilder Set(ushort id, byte[] body)
    {
        _sets.U16(id).U16((ulong)body.Length + 4).Bytes(body);
        return this;
    }

    public byte[] Build()
    {
        var sets = _sets.ToArray();
        return new RecordWriter().U16(10).U16(Length ?? (ushort)(16 + sets.Length)).U32(ExportTime).U32(Sequence).U32(DomainId)
            .Bytes(sets).ToArray();
    }

    private static void Specifiers(RecordWriter body, IpfixField[] fields)
    {
        foreach (var f in fields)
        {
            if (f.Pen != 0) body.U16(f.Id | 0x8000u).U16(f.Length).U32(f.Pen);
            else body.U16(f.Id).U16(f.Length);
        }
    }
}
