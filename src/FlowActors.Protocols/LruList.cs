namespace FlowActors.Protocols;

/// <summary>An item that can sit in an <see cref="LruList{T}"/> (the links live in the item: no allocation per move).</summary>
internal interface ILruNode<T> where T : class
{
    T? Older { get; set; }
    T? Newer { get; set; }
}

/// <summary>
/// Intrusive least-recently-used order for bounded tables: touch and evict in O(1), so a flood of new keys (e.g.
/// spoofed domains) costs the same per datagram as normal traffic instead of a scan of the whole table.
/// </summary>
internal sealed class LruList<T> where T : class, ILruNode<T>
{
    private T? _newest;
    private T? _oldest;

    /// <summary>The least recently touched item, or null when empty.</summary>
    public T? Oldest => _oldest;

    /// <summary>Makes <paramref name="item"/> the most recently used (adds it when new).</summary>
    public void Touch(T item, bool isNew)
    {
        if (!isNew)
        {
            if (ReferenceEquals(item, _newest)) return;
            Unlink(item);
        }

        item.Older = _newest;
        item.Newer = null;
        if (_newest is not null) _newest.Newer = item;
        _newest = item;
        _oldest ??= item;
    }

    /// <summary>Removes <paramref name="item"/>.</summary>
    public void Unlink(T item)
    {
        if (item.Older is not null) item.Older.Newer = item.Newer;
        else if (ReferenceEquals(_oldest, item)) _oldest = item.Newer;
        if (item.Newer is not null) item.Newer.Older = item.Older;
        else if (ReferenceEquals(_newest, item)) _newest = item.Older;
        item.Older = null;
        item.Newer = null;
    }
}
