using System.Numerics;
using System.Runtime.CompilerServices;

namespace FlowActors.Detection;

/// <summary>
/// A distinct counter that is exact while small and becomes a HyperLogLog (2^8 registers, about 6.5 %
/// standard error) past <see cref="ExactLimit"/> values, so memory is bounded at about 300 bytes.
/// </summary>
/// <remarks>
/// Detection thresholds (15 ports, 25 targets) sit well inside the exact range, so rules are decided on exact
/// counts; only floods and big scans are estimated. The exact array grows 4, 8, ... 64; a reset releases it, so a
/// burst does not pin memory.
/// </remarks>
internal struct DistinctSketch
{
    /// <summary>Values held exactly before switching to HyperLogLog.</summary>
    public const int ExactLimit = 64;

    /// <summary>HyperLogLog register count (precision 8).</summary>
    public const int Registers = 256;

    internal uint[]? Exact;
    internal byte[]? Hll;
    internal int ExactCount;

    // The last HyperLogLog estimate, 0 when a register changed since (or none was made): a full capped table picks the
    // entry to evict by count, and estimating (256 registers) on every insert cost 3.5 % of a node's CPU at 50,000 hosts.
    // Not stored in snapshots: it is derived.
    private int _estimate;

    // The registers of the window this sketch was last cleared in (pooled windows): reused, zeroed, when the next
    // window's count passes the exact range, so a host's busy windows do not each allocate them again.
    private byte[]? _spareHll;

    /// <summary>Adds a value (a port, or a 32-bit address hash).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public void Add(uint value)
    {
        if (Hll is not null)
        {
            if (AddHll(Hll, value)) _estimate = 0;
            return;
        }

        var e = Exact;
        int n = ExactCount;
        if (e is not null && e.AsSpan(0, n).Contains(value)) return;
        AddNew(value);
    }

    private void AddNew(uint value)
    {
        var e = Exact;
        int n = ExactCount;
        if (e is null)
        {
            e = Exact = new uint[4];
        }
        else if (n == e.Length)
        {
            if (n >= ExactLimit)
            {
                var hll = _spareHll ?? new byte[Registers];
                if (_spareHll is not null)
                {
                    Array.Clear(hll);
                    _spareHll = null;
                }

                for (int i = 0; i < n; i++) AddHll(hll, e[i]);
                AddHll(hll, value);
                Hll = hll;
                return;
            }

            Array.Resize(ref Exact, n * 2);
            e = Exact;
        }

        e[n] = value;
        ExactCount = n + 1;
    }

    /// <summary>True when <paramref name="value"/> was added (exact mode only; false once estimating).</summary>
    public readonly bool ContainsExact(uint value) => Hll is null && Exact is not null && Exact.AsSpan(0, ExactCount).Contains(value);

    /// <summary>True while the count is exact.</summary>
    public readonly bool IsExact => Hll is null;

    /// <summary>The exact values (empty once estimating).</summary>
    public readonly ReadOnlySpan<uint> Values => Hll is null && Exact is not null ? Exact.AsSpan(0, ExactCount) : default;

    /// <summary>All values while exact; once estimating, the first <see cref="ExactLimit"/> values added (for evidence).</summary>
    public readonly ReadOnlySpan<uint> SampleValues => Exact is not null ? Exact.AsSpan(0, ExactCount) : default;

    /// <summary>Distinct values added: exact up to <see cref="ExactLimit"/>, estimated beyond.</summary>
    public int Count => Hll is null ? ExactCount : _estimate != 0 ? _estimate : (_estimate = Estimate(Hll));

    /// <summary>Forgets all values and releases the arrays (an idle host keeps no sketch memory).</summary>
    public void Reset()
    {
        Exact = null;
        Hll = null;
        _spareHll = null;
        ExactCount = 0;
        _estimate = 0;
    }

    /// <summary>Forgets all values but keeps the arrays for reuse (pooled windows).</summary>
    public void Clear()
    {
        if (Hll is not null) _spareHll = Hll;
        Hll = null;
        ExactCount = 0;
        _estimate = 0;
    }

    /// <summary>Heap bytes held (array headers included).</summary>
    public readonly int HeapBytes => (Exact is null ? 0 : 24 + Exact.Length * 4) + (Hll is null ? 0 : 24 + Registers) + (_spareHll is null ? 0 : 24 + Registers);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static bool AddHll(byte[] registers, uint value)
    {
        ulong h = Mix(value);
        int index = (int)(h >> 56);
        ulong rest = (h << 8) | 0x80UL; // sentinel bit bounds the rank at 57
        byte rank = (byte)(BitOperations.LeadingZeroCount(rest) + 1);
        if (registers[index] >= rank) return false;
        registers[index] = rank;
        return true;
    }

    private static int Estimate(byte[] registers)
    {
        double sum = 0;
        int zeros = 0;
        for (int i = 0; i < registers.Length; i++)
        {
            sum += Math.ScaleB(1.0, -registers[i]);
            if (registers[i] == 0) zeros++;
        }

        const double m = Registers;
        double alpha = 0.7213 / (1 + 1.079 / m);
        double e = alpha * m * m / sum;
        if (e <= 2.5 * m && zeros > 0)
        {
            e = m * Math.Log(m / zeros); // linear counting for the small range (Flajolet et al. 2007)
        }

        return (int)Math.Round(e);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static ulong Mix(uint value)
    {
        ulong z = value + 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    internal readonly void Write(ref LittleEndianWriter w)
    {
        if (Hll is not null)
        {
            w.U8(2);
            w.Bytes(Hll);
            w.U8((byte)ExactCount);
            for (int i = 0; i < ExactCount; i++) w.U32(Exact![i]);
        }
        else if (ExactCount > 0)
        {
            w.U8(1);
            w.U8((byte)ExactCount);
            for (int i = 0; i < ExactCount; i++) w.U32(Exact![i]);
        }
        else
        {
            w.U8(0);
        }
    }

    private void ReadExact(ref LittleEndianReader r)
    {
        int n = r.U8();
        if (n > ExactLimit) throw new InvalidDataException("Sketch holds more exact values than allowed.");
        int cap = 4;
        while (cap < n) cap *= 2;
        Exact = new uint[cap];
        for (int i = 0; i < n; i++) Exact[i] = r.U32();
        ExactCount = n;
    }

    internal void Read(ref LittleEndianReader r)
    {
        Reset();
        switch (r.U8())
        {
            case 0:
                break;
            case 1:
                ReadExact(ref r);
                break;
            case 2:
                Hll = new byte[Registers];
                r.Bytes(Hll);
                ReadExact(ref r);
                break;
            default:
                throw new InvalidDataException("Unknown sketch kind.");
        }
    }
}
