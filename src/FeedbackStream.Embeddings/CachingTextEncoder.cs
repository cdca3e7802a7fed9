using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace FeedbackStream.Embeddings;

/// <summary>
/// Wraps an encoder with a bounded least-recently-used cache keyed by a 128-bit hash (SHA-256 prefix) of the text, so a
/// repeated text is encoded once. Holds at most <see cref="Capacity"/> vectors; thread-safe (one lock around the index;
/// the inner encoder runs outside it). Returned vectors are copies, so a caller cannot change a cached one.
/// </summary>
public sealed class CachingTextEncoder : ITextEncoder
{
    private readonly ITextEncoder _inner;
    private readonly Dictionary<Key, LinkedListNode<Entry>> _index = [];
    private readonly LinkedList<Entry> _order = new();
    private readonly Lock _lock = new();
    private long _hits;
    private long _misses;

    public CachingTextEncoder(ITextEncoder inner, int capacity)
    {
        ArgumentNullException.ThrowIfNull(inner);
        ArgumentOutOfRangeException.ThrowIfNegative(capacity);
        _inner = inner;
        Capacity = capacity;
    }

    public string ModelName => _inner.ModelName;

    public int Dimensions => _inner.Dimensions;

    /// <summary>Most vectors held at once.</summary>
    public int Capacity { get; }

    /// <summary>Vectors held now (never above <see cref="Capacity"/>).</summary>
    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _index.Count;
            }
        }
    }

    /// <summary>Texts answered from the cache, and texts passed to the inner encoder, since construction.</summary>
    public (long Hits, long Misses) Counters => (Interlocked.Read(ref _hits), Interlocked.Read(ref _misses));

    public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var result = new float[texts.Count][];
        var keys = new Key[texts.Count];
        var missing = new List<int>();
        lock (_lock)
        {
            for (var i = 0; i < texts.Count; i++)
            {
                keys[i] = Key.Of(texts[i] ?? string.Empty);
                if (_index.TryGetValue(keys[i], out var node))
                {
                    _order.Remove(node);
                    _order.AddFirst(node);
                    result[i] = (float[])node.Value.Vector.Clone();
                }
                else
                {
                    missing.Add(i);
                }
            }
        }

        Interlocked.Add(ref _hits, texts.Count - missing.Count);
        Interlocked.Add(ref _misses, missing.Count);
        if (missing.Count == 0)
        {
            return result;
        }

        // Texts repeated inside one call are encoded once.
        var distinct = missing.DistinctBy(i => keys[i]).ToList();
        var encoded = _inner.Encode(distinct.Select(i => texts[i] ?? string.Empty).ToList(), cancellationToken);
        var byKey = new Dictionary<Key, float[]>(distinct.Count);
        for (var j = 0; j < distinct.Count; j++)
        {
            byKey[keys[distinct[j]]] = encoded[j];
        }

        foreach (var i in missing)
        {
            result[i] = (float[])byKey[keys[i]].Clone();
        }

        if (Capacity > 0)
        {
            lock (_lock)
            {
                foreach (var (key, vector) in byKey)
                {
                    if (_index.TryGetValue(key, out var existing))
                    {
                        _order.Remove(existing);
                        _order.AddFirst(existing);
                        continue;
                    }

                    _index[key] = _order.AddFirst(new Entry(key, vector));
                    while (_index.Count > Capacity)
                    {
                        var last = _order.Last!;
                        _order.RemoveLast();
                        _index.Remove(last.Value.Key);
                    }
                }
            }
        }

        return result;
    }

    private sealed record Entry(Key Key, float[] Vector);

    [StructLayout(LayoutKind.Auto)]
    private readonly record struct Key(ulong High, ulong Low)
    {
        public static Key Of(string text)
        {
            Span<byte> hash = stackalloc byte[32];
            SHA256.HashData(MemoryMarshal.AsBytes(text.AsSpan()), hash);
            return new Key(BitConverter.ToUInt64(hash[..8]), BitConverter.ToUInt64(hash[8..16]));
        }
    }
}
