using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// Addresses and prefixes from threat-intelligence block lists (plain text: one address or CIDR per line,
/// <c>#</c> comments). Shared by all hosts; <see cref="Reload"/> swaps the whole set atomically, so lookups
/// never see a half-loaded list and never take a lock.
/// </summary>
public sealed class ThreatIntelSet
{
    private volatile PrefixSet _set;
    private readonly string[] _files;

    /// <summary>Creates a set from literal entries (no files; <see cref="Reload"/> keeps them).</summary>
    public ThreatIntelSet(IEnumerable<string> entries)
    {
        ArgumentNullException.ThrowIfNull(entries);
        if (!PrefixSet.TryBuild(entries, out var set, out string? error))
        {
            throw new ArgumentException($"Detection:ThreatIntel: {error}", nameof(entries));
        }

        _set = set;
        _files = [];
    }

    private ThreatIntelSet(string[] files, PrefixSet set)
    {
        _files = files;
        _set = set;
    }

    /// <summary>Loads block lists from files.</summary>
    /// <exception cref="ArgumentException">A file is missing or has a malformed line (message names file and line).</exception>
    public static ThreatIntelSet FromFiles(IEnumerable<string> files)
    {
        ArgumentNullException.ThrowIfNull(files);
        var paths = files.ToArray();
        return new ThreatIntelSet(paths, Load(paths));
    }

    /// <summary>Number of prefixes held.</summary>
    public int Count => _set.Count;

    /// <summary>The files this set was loaded from.</summary>
    public IReadOnlyList<string> Files => _files;

    /// <summary>True when <paramref name="address"/> is listed. Allocation-free.</summary>
    public bool Contains(FlowAddress address) => _set.Contains(address);

    /// <summary>
    /// Re-reads the files and swaps the set in one step. On a bad file the old set stays and the error is thrown.
    /// </summary>
    public void Reload()
    {
        if (_files.Length == 0) return;
        _set = Load(_files);
    }

    private static PrefixSet Load(string[] files)
    {
        var lines = new List<string>();
        foreach (string file in files)
        {
            if (!File.Exists(file))
            {
                throw new ArgumentException($"Detection:ThreatIntel:Files: '{file}' does not exist; fix the path or remove it.");
            }

            int n = 0;
            foreach (string line in File.ReadLines(file))
            {
                n++;
                string entry = PrefixSet.StripComment(line);
                if (entry.Length == 0) continue;
                if (!PrefixSet.TryParseCidr(entry, out _, out _))
                {
                    throw new ArgumentException($"Detection:ThreatIntel:Files: {file} line {n}: '{entry}' is not an address or CIDR prefix.");
                }

                lines.Add(entry);
            }
        }

        PrefixSet.TryBuild(lines, out var set, out _);
        return set;
    }
}
