namespace FlowActors.Protocols;

/// <summary>
/// Decides which 1-in-N sampling rate applies to a flow: a configured per-exporter override wins, then the rate the
/// exporter announced (v5 header, v9/IPFIX options, sFlow sample), then a configured per-exporter default, then
/// <see cref="DefaultRate"/>.
/// </summary>
/// <remarks>Immutable and shared by every decoder; lookups are a dictionary probe, no allocation.</remarks>
public sealed class SamplingPolicy
{
    private readonly Dictionary<FlowAddress, uint> _overrides;
    private readonly Dictionary<FlowAddress, uint> _defaults;

    /// <summary>The policy that trusts the exporters and assumes 1:1 when they say nothing.</summary>
    public static SamplingPolicy Unsampled { get; } = new();

    /// <summary>Creates a policy.</summary>
    /// <param name="defaultRate">Rate assumed when neither the exporter nor the configuration names one (1 = unsampled).</param>
    /// <param name="exporterDefaults">Per-exporter rate used when the exporter announces none.</param>
    /// <param name="exporterOverrides">Per-exporter rate that replaces whatever the exporter announces.</param>
    public SamplingPolicy(
        uint defaultRate = 1,
        IReadOnlyDictionary<FlowAddress, uint>? exporterDefaults = null,
        IReadOnlyDictionary<FlowAddress, uint>? exporterOverrides = null)
    {
        if (defaultRate == 0) throw new ArgumentOutOfRangeException(nameof(defaultRate), "A sampling rate is 1 or more (1 = unsampled).");
        DefaultRate = defaultRate;
        _defaults = Validate(exporterDefaults, nameof(exporterDefaults));
        _overrides = Validate(exporterOverrides, nameof(exporterOverrides));
    }

    /// <summary>Rate assumed when nothing else names one.</summary>
    public uint DefaultRate { get; }

    /// <summary>Resolves the rate for a flow from <paramref name="exporter"/>; <paramref name="announced"/> is 0 when the exporter sent none.</summary>
    public uint Resolve(FlowAddress exporter, uint announced)
    {
        if (_overrides.Count != 0 && _overrides.TryGetValue(exporter, out uint forced)) return forced;
        if (announced != 0) return announced;
        if (_defaults.Count != 0 && _defaults.TryGetValue(exporter, out uint fallback)) return fallback;
        return DefaultRate;
    }

    private static Dictionary<FlowAddress, uint> Validate(IReadOnlyDictionary<FlowAddress, uint>? rates, string name)
    {
        var copy = new Dictionary<FlowAddress, uint>();
        if (rates is null) return copy;
        foreach (var (exporter, rate) in rates)
        {
            if (rate == 0) throw new ArgumentOutOfRangeException(name, $"Sampling rate for exporter {exporter} is 0; use 1 for unsampled.");
            copy[exporter] = rate;
        }

        return copy;
    }
}
