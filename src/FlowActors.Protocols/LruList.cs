namespace FlowActors.Protocols;

/// <summary>The two links of one item in one <see cref="LruList{T}"/>.</summary>
internal struct LruLinks<T> where T : class
{
    /// <summary>The next less recently used item, or null for the oldest.</summary>
    public T? Older;

    /// <summary>The next more recently used item, or null for the newest.</summary>
    public T? Newer;
}

/// <summary>An item that can sit in one or more <see cref="LruList{T}"/>s (the links live in the item: no allocation per move).</summary>
internal interface ILruNode<T> where T : class
{
    /// <summary>The item's links in list number <paramref name="list"/> (0 for an item that sits in one list only).</summary>
    ref LruLinks<T> Links(int list);
}

/// <summary>
/// Intrusive least-recently-used order for bounded tables: touch and evict in O(1), so a flood of new keys (e.g.
/// spoofed domains or agents) costs the same per datagram as normal traffic instead of a scan of the whole table.
/// </summary>
/// <remarks>An item may sit in several lists at once (e.g. its owner's and its tier's), each using its own links.</remarks>
internal sealed class LruList<T> where T : class, ILruNode<T>
{
    private readonly int _list;
    private T? _newest;
    private T? _oldest;

    /// <summary>Creates an empty list that uses the items' links number <paramref name="list"/>.</summary>
    public LruList(int list = 0) => _list = list;

    /// <summary>The least recently touched item, or null when empty.</summary>
    public T? Oldest => _oldest;

    /// <summary>The most recently touched item, or null when empty.</summary>
    public T? Newest => _newest;

    /// <summary>The item touched just after <paramref name="item"/>, or null when it is the newest (to walk from <see cref="Oldest"/>).</summary>
    public T? NewerThan(T item) => item.Links(_list).Newer;

    /// <summary>Makes <paramref name="item"/> the most recently used (adds it when new).</summary>
    public void Touch(T item, bool isNew)
    {
        if (!isNew)
        {
            if (ReferenceEquals(item, _newest)) return;
            Unlink(item);
        }

        ref var links = ref item.Links(_list);
        links.Older = _newest;
        links.Newer = null;
        if (_newest is not null) _newest.Links(_list).Newer = item;
        _newest = item;
        _oldest ??= item;
    }

    /// <summary>Removes <paramref name="item"/>.</summary>
    public void Unlink(T item)
    {
        ref var links = ref item.Links(_list);
        if (links.Older is not null) links.Older.Links(_list).Newer = links.Newer;
        else if (ReferenceEquals(_oldest, item)) _oldest = links.Newer;
        if (links.Newer is not null) links.Newer.Links(_list).Older = links.Older;
        else if (ReferenceEquals(_newest, item)) _newest = links.Older;
        links.Older = null;
        links.Newer = null;
    }
}

/// <summary>
/// A dictionary bounded by an <see cref="LruList{T}"/>: at <see cref="MaxCount"/> entries, adding one evicts the least
/// recently used in O(1). The per-exporter, per-domain, per-stream and per-agent tables of the decoders.
/// </summary>
/// <remarks>Not thread-safe: each table belongs to one decoder, used by one receiver at a time.</remarks>
internal sealed class LruTable<TKey, TValue> where TKey : notnull where TValue : class, ILruNode<TValue>
{
    private readonly Dictionary<TKey, TValue> _items = new();
    private readonly LruList<TValue> _lru = new();
    private readonly Func<TKey, TValue> _create;
    private readonly Func<TValue, TKey> _keyOf;

    /// <summary>Creates a table of at most <paramref name="maxCount"/> entries, made by <paramref name="create"/> and keyed by <paramref name="keyOf"/>.</summary>
    public LruTable(int maxCount, Func<TKey, TValue> create, Func<TValue, TKey> keyOf)
    {
        MaxCount = maxCount;
        _create = create;
        _keyOf = keyOf;
    }

    /// <summary>Most entries held.</summary>
    public int MaxCount { get; }

    /// <summary>Entries held.</summary>
    public int Count => _items.Count;

    /// <summary>Entries evicted to stay within <see cref="MaxCount"/>.</summary>
    public long Evicted { get; private set; }

    /// <summary>The entries (a live view).</summary>
    public IReadOnlyDictionary<TKey, TValue> Items => _items;

    /// <summary>Looks an entry up without touching it.</summary>
    public bool TryGet(TKey key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out TValue value) => _items.TryGetValue(key, out value);

    /// <summary>The entry for <paramref name="key"/>, made (evicting the least recently used when full) if new; either way now the most recently used.</summary>
    public TValue GetOrAdd(TKey key, out bool isNew)
    {
        isNew = !_items.TryGetValue(key, out var value);
        if (isNew)
        {
            if (_items.Count >= MaxCount && _lru.Oldest is { } oldest)
            {
                _lru.Unlink(oldest);
                _items.Remove(_keyOf(oldest));
                Evicted++;
            }

            value = _create(key);
            _items[key] = value;
        }

        _lru.Touch(value!, isNew);
        return value!;
    }
}
