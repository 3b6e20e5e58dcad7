namespace FlowActors.Protocols;

/// <summary>Limits and policies of a <see cref="FlowDecoder"/>. Defaults suit a laptop; raise them for big networks.</summary>
public sealed class FlowDecoderOptions
{
    /// <summary>Most templates (and options templates) kept per exporter. Default 1,024.</summary>
    public int MaxTemplatesPerExporter { get; set; } = 1_024;

    /// <summary>Most templates kept in total. Default 16,384.</summary>
    public int MaxTemplates { get; set; } = 16_384;

    /// <summary>Most fields accepted in one template; a template with more is rejected as malformed. Default 512.</summary>
    public int MaxFieldsPerTemplate { get; set; } = 512;

    /// <summary>A template not refreshed for this long is dropped by <see cref="FlowDecoder.ExpireTemplates"/>. Default 30 minutes.</summary>
    public TimeSpan TemplateMaxAge { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>Most data sets held while waiting for their template (0 disables holding). Default 1,024.</summary>
    public int HeldDataMaxCount { get; set; } = 1_024;

    /// <summary>Most bytes of data held while waiting for templates. Default 4 MiB.</summary>
    public long HeldDataMaxBytes { get; set; } = 4L * 1024 * 1024;

    /// <summary>How long held data waits for its template before it is dropped and counted. Default 30 seconds.</summary>
    public TimeSpan HeldDataMaxAge { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Most exporters with their own counters. Default 4,096.</summary>
    public int MaxExporters { get; set; } = 4_096;

    /// <summary>Most (exporter, domain) pairs whose announced sampling and clocks are remembered. Default 16,384.</summary>
    public int MaxDomains { get; set; } = 16_384;

    /// <summary>Most sampler ids remembered per domain (v9 48 / IPFIX 302). Default 64.</summary>
    public int MaxSamplersPerDomain { get; set; } = 64;

    /// <summary>Most sequence-number streams tracked. Default 16,384.</summary>
    public int MaxSequenceStreams { get; set; } = 16_384;

    /// <summary>Which sampling rate applies to a flow (override, announced, per-exporter default, default).</summary>
    public SamplingPolicy Sampling { get; set; } = SamplingPolicy.Unsampled;

    /// <summary>Throws <see cref="ArgumentException"/> naming the first setting that is out of range, and how to fix it.</summary>
    public void Validate()
    {
        Positive(MaxTemplatesPerExporter, nameof(MaxTemplatesPerExporter));
        Positive(MaxTemplates, nameof(MaxTemplates));
        if (MaxTemplatesPerExporter > MaxTemplates)
        {
            throw new ArgumentException(
                $"{nameof(MaxTemplatesPerExporter)} ({MaxTemplatesPerExporter}) exceeds {nameof(MaxTemplates)} ({MaxTemplates}); lower it or raise {nameof(MaxTemplates)}.",
                nameof(MaxTemplatesPerExporter));
        }

        if (MaxFieldsPerTemplate < 1 || MaxFieldsPerTemplate > 16_383)
        {
            throw new ArgumentException($"{nameof(MaxFieldsPerTemplate)} must be between 1 and 16,383 (a 65,535-byte set holds no more); got {MaxFieldsPerTemplate}.", nameof(MaxFieldsPerTemplate));
        }

        PositiveTime(TemplateMaxAge, nameof(TemplateMaxAge));
        if (HeldDataMaxCount < 0)
        {
            throw new ArgumentException($"{nameof(HeldDataMaxCount)} must be 0 (no holding) or more; got {HeldDataMaxCount}.", nameof(HeldDataMaxCount));
        }

        if (HeldDataMaxBytes < 0)
        {
            throw new ArgumentException($"{nameof(HeldDataMaxBytes)} must be 0 or more; got {HeldDataMaxBytes}.", nameof(HeldDataMaxBytes));
        }

        PositiveTime(HeldDataMaxAge, nameof(HeldDataMaxAge));
        Positive(MaxExporters, nameof(MaxExporters));
        Positive(MaxDomains, nameof(MaxDomains));
        Positive(MaxSamplersPerDomain, nameof(MaxSamplersPerDomain));
        Positive(MaxSequenceStreams, nameof(MaxSequenceStreams));
        if (Sampling is null)
        {
            throw new ArgumentException($"{nameof(Sampling)} must be set; use {nameof(SamplingPolicy)}.{nameof(SamplingPolicy.Unsampled)} to trust the exporters.", nameof(Sampling));
        }
    }

    private static void Positive(long value, string name)
    {
        if (value < 1) throw new ArgumentException($"{name} must be 1 or more; got {value}.", name);
    }

    private static void PositiveTime(TimeSpan value, string name)
    {
        if (value <= TimeSpan.Zero) throw new ArgumentException($"{name} must be longer than zero; got {value}.", name);
    }
}
