using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace FlowActors.Detection;

/// <summary>
/// Software cache prefetch of managed objects, for loops that touch many hosts' state in a row: a batch of
/// observations for 50,000 hosts misses the cache on almost every host, and without a hint each miss waits in turn.
/// </summary>
/// <remarks>
/// A prefetch is only a hint: it never faults and changes no value, so an address that a collection has since moved
/// only wastes the hint. On processors without SSE it does nothing.
/// </remarks>
public static class CachePrefetch
{
    /// <summary>Asks for the first <paramref name="lines"/> 64-byte cache lines of <paramref name="target"/> (nothing when null).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static unsafe void Lines(object? target, int lines = 1)
    {
        if (!Sse.IsSupported || target is null) return;
        byte* p = (byte*)Unsafe.As<object, nint>(ref target);
        for (int i = 0; i < lines; i++) Sse.Prefetch0(p + (i * 64));
    }
}
