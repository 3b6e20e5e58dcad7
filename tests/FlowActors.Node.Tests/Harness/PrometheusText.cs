using System.Globalization;

namespace FlowActors.Node.Tests.Harness;

/// <summary>One sample of a scrape: series name, labels, value.</summary>
public sealed record PrometheusSample(string Name, IReadOnlyDictionary<string, string> Labels, double Value);

/// <summary>
/// A parsed scrape in the Prometheus text exposition format 0.0.4: <c># TYPE</c> lines give each family's type,
/// sample lines <c>name{label="value",...} value [timestamp]</c> its series. Strict: a line it cannot read fails the test.
/// </summary>
public sealed class PrometheusText
{
    private PrometheusText(Dictionary<string, string> types, List<PrometheusSample> samples)
    {
        Types = types;
        Samples = samples;
    }

    /// <summary>Family name → type (counter, gauge, histogram, summary, unknown).</summary>
    public IReadOnlyDictionary<string, string> Types { get; }

    /// <summary>Every sample, in the order served.</summary>
    public IReadOnlyList<PrometheusSample> Samples { get; }

    /// <summary>The family a sample belongs to (a histogram's <c>_bucket</c>, <c>_sum</c>, <c>_count</c> belong to it).</summary>
    public string FamilyOf(PrometheusSample sample)
    {
        if (Types.ContainsKey(sample.Name)) return sample.Name;
        foreach (var suffix in (string[])["_bucket", "_sum", "_count"])
        {
            if (sample.Name.EndsWith(suffix, StringComparison.Ordinal) && Types.TryGetValue(sample.Name[..^suffix.Length], out var type) && type is "histogram" or "summary")
                return sample.Name[..^suffix.Length];
        }

        throw new InvalidDataException($"sample {sample.Name} has no # TYPE line");
    }

    /// <summary>Sum of the samples named <paramref name="name"/> whose labels include <paramref name="labels"/>.</summary>
    public double Sum(string name, params (string Key, string Value)[] labels) =>
        Samples.Where(s => s.Name == name && labels.All(l => s.Labels.TryGetValue(l.Key, out var v) && v == l.Value)).Sum(s => s.Value);

    /// <summary>Parses <paramref name="text"/>.</summary>
    public static PrometheusText Parse(string text)
    {
        var types = new Dictionary<string, string>(StringComparer.Ordinal);
        var samples = new List<PrometheusSample>();
        foreach (var raw in text.Split('\n'))
        {
            string line = raw.TrimEnd('\r');
            if (line.Length == 0) continue;
            if (line.StartsWith("# TYPE ", StringComparison.Ordinal))
            {
                var parts = line.Split(' ');
                if (parts.Length != 4) throw new InvalidDataException($"bad TYPE line: {line}");
                types[parts[2]] = parts[3];
                continue;
            }

            if (line[0] == '#') continue; // HELP, UNIT, EOF
            samples.Add(ParseSample(line));
        }

        return new PrometheusText(types, samples);
    }

    private static PrometheusSample ParseSample(string line)
    {
        int i = 0;
        while (i < line.Length && line[i] is not ('{' or ' ')) i++;
        string name = line[..i];
        var labels = new Dictionary<string, string>(StringComparer.Ordinal);
        if (i < line.Length && line[i] == '{')
        {
            i++;
            while (line[i] != '}')
            {
                int eq = line.IndexOf('=', i);
                string key = line[i..eq];
                if (line[eq + 1] != '"') throw new InvalidDataException($"bad label in: {line}");
                var value = new System.Text.StringBuilder();
                int j = eq + 2;
                for (; line[j] != '"'; j++)
                {
                    if (line[j] == '\\')
                    {
                        j++;
                        value.Append(line[j] switch { 'n' => '\n', var c => c });
                    }
                    else value.Append(line[j]);
                }

                labels[key] = value.ToString();
                i = j + 1;
                if (line[i] == ',') i++;
            }

            i++;
        }

        var rest = line[i..].Trim().Split(' ');
        double value2 = rest[0] switch
        {
            "+Inf" => double.PositiveInfinity,
            "-Inf" => double.NegativeInfinity,
            "NaN" => double.NaN,
            var v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
        return new PrometheusSample(name, labels, value2);
    }
}
