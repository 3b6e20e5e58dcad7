using System.Runtime.CompilerServices;

namespace FlowActors.Protocols.Templates;

/// <summary>
/// Identifies one template: exporter address, protocol version (9 or 10), observation domain / source id and template id.
/// RFC 7011 §8 and RFC 3954 §5 scope templates to the exporter and domain; the version keeps a v9 and an IPFIX
/// template with the same id from one box apart.
/// </summary>
/// <param name="Exporter">Exporter address.</param>
/// <param name="Version">9 or 10.</param>
/// <param name="Domain">NetFlow v9 source id or IPFIX observation domain id.</param>
/// <param name="TemplateId">Template id (256 and above).</param>
public readonly record struct TemplateKey(FlowAddress Exporter, ushort Version, uint Domain, ushort TemplateId)
{
    /// <summary>True when this key belongs to the given exporter, version and domain.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public bool IsInDomain(FlowAddress exporter, ushort version, uint domain) =>
        Exporter == exporter && Version == version && Domain == domain;

    /// <inheritdoc />
    public bool Equals(TemplateKey other) =>
        TemplateId == other.TemplateId && Domain == other.Domain && Version == other.Version && Exporter.Equals(other.Exporter);

    /// <inheritdoc />
    public override int GetHashCode() =>
        (int)(Exporter.GetStableHashCode() ^ ((ulong)Domain * 0x9E3779B1UL) ^ ((ulong)TemplateId << 40) ^ ((ulong)Version << 56));
}

/// <summary>Identifies the per-domain state of one exporter (sampling rates, system init time, sequence mode).</summary>
/// <param name="Exporter">Exporter address.</param>
/// <param name="Version">9 or 10.</param>
/// <param name="Domain">NetFlow v9 source id or IPFIX observation domain id.</param>
public readonly record struct DomainKey(FlowAddress Exporter, ushort Version, uint Domain)
{
    /// <inheritdoc />
    public bool Equals(DomainKey other) => Domain == other.Domain && Version == other.Version && Exporter.Equals(other.Exporter);

    /// <inheritdoc />
    public override int GetHashCode() =>
        (int)(Exporter.GetStableHashCode() ^ ((ulong)Domain * 0x9E3779B1UL) ^ ((ulong)Version << 56));
}
