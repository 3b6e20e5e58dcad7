using System.Buffers;

namespace FlowActors.Protocols.Templates;

/// <summary>A data set held back until its template arrives, with the header clocks needed to decode it later.</summary>
internal readonly struct HeldData(TemplateKey key, byte[] buffer, int length, long exportTimeMs, uint sysUpTimeMs, long heldAtMs)
{
    public readonly TemplateKey Key = key;
    public readonly byte[] Buffer = buffer;
    public readonly int Length = length;
    public readonly long ExportTimeMs = exportTimeMs;
    public readonly uint SysUpTimeMs = sysUpTimeMs;
    public readonly long HeldAtMs = heldAtMs;

    public ReadOnlySpan<byte> Body => Buffer.AsSpan(0, Length);
}

/// <summary>
/// Data sets whose template has not arrived yet (Cisco ASA, Juniper and others send data first after a restart).
/// Bounded by count, bytes and age; bytes are copied into pooled buffers; released in arrival order when the
/// template arrives; what expires is counted per exporter as undecodable.
/// </summary>
/// <remarks>Not thread-safe: owned by one <see cref="FlowDecoder"/>.</remarks>
public sealed class HeldDataQueue : IDisposable
{
    private readonly ExporterStatsRegistry _stats;
    private HeldData[] _entries;
    private int _count;

    internal HeldDataQueue(int maxCount, long maxBytes, long maxAgeMs, ExporterStatsRegistry stats)
    {
        MaxCount = maxCount;
        MaxBytes = maxBytes;
        MaxAgeMs = maxAgeMs;
        _stats = stats;
        _entries = new HeldData[Math.Min(maxCount, 64)];
    }

    /// <summary>Most data sets held at once.</summary>
    public int MaxCount { get; }

    /// <summary>Most bytes held at once.</summary>
    public long MaxBytes { get; }

    /// <summary>How long a data set may wait for its template (ms).</summary>
    public long MaxAgeMs { get; }

    /// <summary>Data sets held now.</summary>
    public int Count => _count;

    /// <summary>Bytes held now.</summary>
    public long Bytes { get; private set; }

    /// <summary>Data sets held (cumulative).</summary>
    public long Held { get; private set; }

    /// <summary>Data sets released because their template arrived (cumulative).</summary>
    public long Released { get; private set; }

    /// <summary>Data sets dropped because their template did not arrive in time (cumulative).</summary>
    public long Expired { get; private set; }

    /// <summary>Data sets refused because the queue was full (cumulative).</summary>
    public long Rejected { get; private set; }

    /// <summary>True when data for <paramref name="key"/> is waiting.</summary>
    public bool IsWaitingFor(in TemplateKey key)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_entries[i].Key.Equals(key)) return true;
        }

        return false;
    }

    /// <summary>Copies <paramref name="body"/> (a data set without its set header) into the queue.</summary>
    /// <returns>False when it cannot be held (limits reached even after dropping expired sets); the caller counts it.</returns>
    internal bool TryHold(in TemplateKey key, ReadOnlySpan<byte> body, long exportTimeMs, uint sysUpTimeMs, long nowMs)
    {
        if (MaxCount == 0 || body.Length > MaxBytes)
        {
            Rejected++;
            return false;
        }

        // Entries are in arrival order: only scan for expired ones when the oldest has expired.
        if ((_count >= MaxCount || Bytes + body.Length > MaxBytes) && _count > 0 && nowMs - _entries[0].HeldAtMs >= MaxAgeMs) Expire(nowMs);
        if (_count >= MaxCount || Bytes + body.Length > MaxBytes)
        {
            Rejected++;
            return false;
        }

        if (_count == _entries.Length) Array.Resize(ref _entries, Math.Min(MaxCount, _entries.Length * 2));
        byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Max(body.Length, 1));
        body.CopyTo(buffer);
        _entries[_count++] = new HeldData(key, buffer, body.Length, exportTimeMs, sysUpTimeMs, nowMs);
        Bytes += body.Length;
        Held++;
        return true;
    }

    /// <summary>Takes the oldest held set for <paramref name="key"/>; give it back with <see cref="Return"/> once decoded.</summary>
    internal bool TryTake(in TemplateKey key, out HeldData data)
    {
        for (int i = 0; i < _count; i++)
        {
            if (_entries[i].Key.Equals(key))
            {
                data = _entries[i];
                RemoveAt(i);
                Released++;
                return true;
            }
        }

        data = default;
        return false;
    }

    /// <summary>Returns a taken set's buffer to the pool.</summary>
    internal static void Return(in HeldData data) => ArrayPool<byte>.Shared.Return(data.Buffer);

    /// <summary>Drops sets held longer than <see cref="MaxAgeMs"/>, counting them against their exporter.</summary>
    /// <returns>Sets dropped.</returns>
    internal int Expire(long nowMs)
    {
        int dropped = 0;
        int i = 0;
        while (i < _count)
        {
            var e = _entries[i];
            if (nowMs - e.HeldAtMs >= MaxAgeMs)
            {
                RemoveAt(i);
                ArrayPool<byte>.Shared.Return(e.Buffer);
                var owner = _stats.Get(e.Key.Exporter);
                if (owner is not null) owner.HeldExpired++;
                Expired++;
                dropped++;
            }
            else
            {
                i++;
            }
        }

        return dropped;
    }

    private void RemoveAt(int index)
    {
        Bytes -= _entries[index].Length;
        _count--;
        if (index < _count) Array.Copy(_entries, index + 1, _entries, index, _count - index);
        _entries[_count] = default;
    }

    /// <summary>Returns every held buffer to the pool.</summary>
    public void Dispose()
    {
        for (int i = 0; i < _count; i++) ArrayPool<byte>.Shared.Return(_entries[i].Buffer);
        Array.Clear(_entries);
        _count = 0;
        Bytes = 0;
    }
}
