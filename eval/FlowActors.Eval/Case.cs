using FlowActors.Detection;
using FlowActors.Protocols;
using FlowActors.Protocols.Capture;

namespace FlowActors.Eval;

/// <summary>A behaviour a case holds: on <paramref name="Host"/>, one of <paramref name="Detectors"/> with one of <paramref name="Techniques"/>.</summary>
/// <param name="Name">What the behaviour is, for the scoreboard.</param>
/// <param name="Host">The monitored host the alert must concern.</param>
/// <param name="Role"><c>actor</c> or <c>target</c>.</param>
/// <param name="Detectors">Detectors that may report it.</param>
/// <param name="Techniques">ATT&amp;CK techniques that are right for it.</param>
public sealed record Behaviour(string Name, string Host, string Role, string[] Detectors, string[] Techniques)
{
    /// <summary>True when <paramref name="a"/> reports this behaviour with a right technique.</summary>
    public bool Matches(Alert a) => a.Host == Host && a.Role == Role && Detectors.Contains(a.Detector) && Techniques.Contains(a.Technique);
}

/// <summary>One evaluation case: where its flow records come from, the behaviours expected, and those allowed (explained but not required).</summary>
public sealed class Case
{
    /// <summary>Creates a case.</summary>
    public Case(string name, string kind, string madeBy, Func<IEnumerable<FlowRecord>> records, IReadOnlyList<Behaviour> expected, IReadOnlyList<Behaviour>? allowed = null, IReadOnlyList<string>? networks = null, IReadOnlyList<string>? subjects = null)
    {
        Subjects = subjects;
        Name = name;
        Kind = kind;
        MadeBy = madeBy;
        Records = records;
        Expected = expected;
        Allowed = allowed ?? [];
        Networks = networks ?? [.. NetworkClassifier.DefaultNetworks, "203.0.113.0/28", "203.0.113.80/30", "203.0.113.88/30"];
    }

    /// <summary>The monitored hosts whose hours the case counts (prefixes; null = every monitored host in it).</summary>
    public IReadOnlyList<string>? Subjects { get; }

    /// <summary>Case name.</summary>
    public string Name { get; }

    /// <summary><c>attack</c> or <c>benign</c>.</summary>
    public string Kind { get; }

    /// <summary>How the case was made (tool, exporter, re-timing or synthesis).</summary>
    public string MadeBy { get; }

    /// <summary>The flow records, in export order.</summary>
    public Func<IEnumerable<FlowRecord>> Records { get; }

    /// <summary>Behaviours that must be detected.</summary>
    public IReadOnlyList<Behaviour> Expected { get; }

    /// <summary>Behaviours that may be reported without counting as unexplained.</summary>
    public IReadOnlyList<Behaviour> Allowed { get; }

    /// <summary>Monitored networks (public hosts as their own prefixes).</summary>
    public IReadOnlyList<string> Networks { get; }

    /// <summary>Decodes a capture of export datagrams the way <c>flowctl analyze</c> does (capture time when a record has no flow times).</summary>
    public static IEnumerable<FlowRecord> FromCapture(string path)
    {
        var decoder = new FlowDecoder();
        using var buffer = new FlowRecordBuffer(1024);
        using var reader = PcapReader.Open(path);
        var records = new List<FlowRecord>();
        while (reader.TryReadNext(out var d))
        {
            buffer.Clear();
            long capturedMs = d.TimestampUs / 1000;
            decoder.Decode(d.Payload.Span, d.Source, capturedMs, buffer);
            foreach (ref readonly var r in buffer.Records)
            {
                var x = r;
                if (!x.Has(FlowFields.Times)) x.StartMs = x.EndMs = capturedMs;
                records.Add(x);
            }
        }

        if (reader.Error is { } error) throw new InvalidDataException($"{path}: {error}");
        return records;
    }
}
