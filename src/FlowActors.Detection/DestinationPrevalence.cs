using System.Numerics;
using FlowActors.Protocols;

namespace FlowActors.Detection;

/// <summary>
/// How many monitored hosts keep a repeated channel to an external destination. Shared by every host of a node
/// (and, replicated, of a cluster); detectors weigh it so that software many hosts run (telemetry, push, agents)
/// ranks below what one host alone does.
/// </summary>
/// <remarks>Implementations are thread-safe: host actors on different threads call them.</remarks>
public interface IDestinationPrevalence
{
    /// <summary>Notes that <paramref name="host"/> keeps a repeated channel to <paramref name="destination"/> at event time <paramref name="eventTimeMs"/>.</summary>
    void Record(FlowAddress host, FlowAddress destination, long eventTimeMs);

    /// <summary>Estimated distinct monitored hosts with a channel to <paramref name="destination"/> (0 when unknown).</summary>
    int HostsContacting(FlowAddress destination);
}

/// <summary>
/// The node-local <see cref="IDestinationPrevalence"/>: a compact heavy-hitter sketch. Up to <see cref="Capacity"/>
/// destinations, each with a 64-bit linear-counting bitmap of host hashes (exact enough up to about 100 hosts,
/// which is all a "is this common?" question needs) and its latest event time. A new destination replaces the one
/// with the fewest hosts, oldest first, so popular destinations stay while one-off peers churn. Memory is fixed
/// (about 56 bytes a destination, 57 KB at the default 1,024).
/// </summary>
/// <remarks>
/// <para>Records arrive when a host starts to repeat contact with a peer (a beacon candidate), not per flow, so
/// the lock is taken a few times per host per hour at most.</para>
/// <para><see cref="Export"/> and <see cref="Merge"/> make it replicable: merging is a union of bitmaps and a
/// maximum of times per destination, so it is idempotent and order-independent (a join), and a cluster can ship
/// each node's sketch through DistributedData and merge the others into its own.</para>
/// </remarks>
public sealed class PrevalenceSketch : IDestinationPrevalence
{
    private const byte FormatVersion = 1;

    private struct Slot
    {
        public FlowAddress Destination;
        public ulong Hosts;
        public long LastMs;
    }

    private readonly Slot[] _slots;
    private readonly Dictionary<FlowAddress, int> _index;
    private readonly long _horizonMs;
    private readonly Lock _lock = new();
    private int _count;

    /// <summary>Creates an empty sketch.</summary>
    /// <param name="capacity">Destinations held (16-65,536).</param>
    /// <param name="horizon">A destination not recorded for this long (event time) is the first to be replaced. Default 7 days.</param>
    public PrevalenceSketch(int capacity = 1024, TimeSpan? horizon = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 16);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacity, 65_536);
        _slots = new Slot[capacity];
        _index = new Dictionary<FlowAddress, int>(capacity);
        _horizonMs = (long)(horizon ?? TimeSpan.FromDays(7)).TotalMilliseconds;
    }

    /// <summary>Destinations held at most.</summary>
    public int Capacity => _slots.Length;

    /// <summary>Destinations held now.</summary>
    public int Count
    {
        get
        {
            lock (_lock) return _count;
        }
    }

    /// <inheritdoc />
    public void Record(FlowAddress host, FlowAddress destination, long eventTimeMs)
    {
        ulong bit = 1UL << (int)(host.GetStableHashCode() & 63);
        lock (_lock) Add(destination, bit, eventTimeMs);
    }

    /// <inheritdoc />
    public int HostsContacting(FlowAddress destination)
    {
        ulong bits;
        lock (_lock)
        {
            if (!_index.TryGetValue(destination, out int i)) return 0;
            bits = _slots[i].Hosts;
        }

        return Estimate(bits);
    }

    /// <summary>Linear counting over 64 bits: exact for 1, within a few percent up to about 100 hosts, 266 when full.</summary>
    internal static int Estimate(ulong bits)
    {
        int set = BitOperations.PopCount(bits);
        if (set <= 1) return set;
        if (set == 64) return 266;
        return (int)Math.Round(-64 * Math.Log(1 - (set / 64.0)));
    }

    private void Add(FlowAddress destination, ulong bits, long timeMs)
    {
        if (_index.TryGetValue(destination, out int i))
        {
            ref Slot s = ref _slots[i];
            s.Hosts |= bits;
            if (timeMs > s.LastMs) s.LastMs = timeMs;
            return;
        }

        if (_count < _slots.Length)
        {
            i = _count++;
        }
        else
        {
            // Replace a destination gone quiet past the horizon, else the one with the fewest hosts (oldest first).
            long now = timeMs;
            i = 0;
            int best = int.MaxValue;
            long bestTime = long.MaxValue;
            for (int k = 0; k < _slots.Length; k++)
            {
                ref Slot c = ref _slots[k];
                int hosts = now - c.LastMs > _horizonMs ? -1 : BitOperations.PopCount(c.Hosts);
                if (hosts < best || (hosts == best && c.LastMs < bestTime))
                {
                    best = hosts;
                    bestTime = c.LastMs;
                    i = k;
                }
            }

            _index.Remove(_slots[i].Destination);
        }

        _slots[i] = new Slot { Destination = destination, Hosts = bits, LastMs = timeMs };
        _index[destination] = i;
    }

    /// <summary>The sketch as bytes (for replication): a version byte, a count, then per destination its address, host bitmap and latest time.</summary>
    public byte[] Export()
    {
        lock (_lock)
        {
            var bytes = new byte[5 + (_count * 33)];
            var w = LittleEndianWriter.Into(bytes);
            w.U8(FormatVersion);
            w.I32(_count);
            for (int i = 0; i < _count; i++)
            {
                ref Slot s = ref _slots[i];
                w.U8(s.Destination.IsV4 ? (byte)4 : (byte)6);
                w.U64(s.Destination.Hi);
                w.U64(s.Destination.Lo);
                w.U64(s.Hosts);
                w.I64(s.LastMs);
            }

            return bytes;
        }
    }

    /// <summary>
    /// Merges another sketch's <see cref="Export"/> into this one (union of host bitmaps, latest time). Merging the
    /// same bytes twice changes nothing.
    /// </summary>
    /// <exception cref="InvalidDataException">The bytes are not an export of a known version.</exception>
    public void Merge(ReadOnlySpan<byte> exported)
    {
        if (exported.Length < 5 || exported[0] != FormatVersion) throw new InvalidDataException("Not a prevalence sketch export.");
        var r = new LittleEndianReader(exported[1..]);
        int n = r.I32();
        if (n < 0 || exported.Length != 5 + (n * 33)) throw new InvalidDataException("Prevalence sketch export has a bad length.");
        lock (_lock)
        {
            for (int i = 0; i < n; i++)
            {
                byte family = r.U8();
                if (family is not (4 or 6)) throw new InvalidDataException("Bad address family in prevalence sketch export.");
                ulong hi = r.U64(), lo = r.U64();
                Add(new FlowAddress(hi, lo, family == 4), r.U64(), r.I64());
            }
        }
    }
}
