namespace FlowActors.Siem.Transport;

/// <summary>Cuts UTF-8 text to a byte budget without splitting a multi-byte sequence.</summary>
public static class Utf8Truncation
{
    /// <summary>
    /// The length (at most <paramref name="maxBytes"/>) of the longest prefix of <paramref name="utf8"/> that ends on
    /// a character boundary: a cut never leaves the lead byte of a sequence without its continuation bytes.
    /// </summary>
    public static int SafeLength(ReadOnlySpan<byte> utf8, int maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(maxBytes);
        if (utf8.Length <= maxBytes) return utf8.Length;
        int cut = maxBytes;
        // utf8[cut] is the first byte dropped: while it is a continuation byte (10xxxxxx) the character it belongs
        // to started before the cut, so move the cut back to that character's lead byte.
        while (cut > 0 && (utf8[cut] & 0xC0) == 0x80) cut--;
        return cut;
    }
}
