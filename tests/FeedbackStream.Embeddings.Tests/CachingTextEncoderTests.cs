namespace FeedbackStream.Embeddings.Tests;

/// <summary>The bounded LRU cache in front of an encoder (a counting fake stands in for the model).</summary>
public sealed class CachingTextEncoderTests
{
    [Fact]
    public void Cache_never_holds_more_than_its_capacity_and_evicts_the_least_recently_used()
    {
        var inner = new CountingEncoder();
        var cache = new CachingTextEncoder(inner, capacity: 3);
        var ct = TestContext.Current.CancellationToken;

        cache.Encode(["a", "b", "c"], ct);
        cache.Encode(["a"], ct);
        cache.Encode(["d"], ct);
        Assert.Equal(3, cache.Count);

        inner.Calls.Clear();
        cache.Encode(["a", "c", "d"], ct);
        Assert.Empty(inner.Calls);
        cache.Encode(["b"], ct);
        Assert.Equal(["b"], inner.Calls);

        for (var i = 0; i < 1_000; i++)
        {
            cache.Encode([$"text {i}"], ct);
            Assert.True(cache.Count <= 3);
        }
    }

    [Fact]
    public void Repeated_texts_are_encoded_once_and_vectors_come_back_in_input_order()
    {
        var inner = new CountingEncoder();
        var cache = new CachingTextEncoder(inner, capacity: 10);
        var vectors = cache.Encode(["x", "yy", "x", "zzz"], TestContext.Current.CancellationToken);

        Assert.Equal(["x", "yy", "zzz"], inner.Calls);
        Assert.Equal([1f, 2f, 1f, 3f], vectors.Select(v => v[0]));
        Assert.Equal((0L, 4L), cache.Counters);
        cache.Encode(["x"], TestContext.Current.CancellationToken);
        Assert.Equal((1L, 4L), cache.Counters);
    }

    [Fact]
    public void Changing_a_returned_vector_does_not_change_the_cached_one()
    {
        var cache = new CachingTextEncoder(new CountingEncoder(), capacity: 10);
        cache.Encode(["abc"], TestContext.Current.CancellationToken)[0][0] = 99f;
        Assert.Equal(3f, cache.Encode(["abc"], TestContext.Current.CancellationToken)[0][0]);
    }

    [Fact]
    public void Zero_capacity_caches_nothing()
    {
        var inner = new CountingEncoder();
        var cache = new CachingTextEncoder(inner, capacity: 0);
        cache.Encode(["a"], TestContext.Current.CancellationToken);
        cache.Encode(["a"], TestContext.Current.CancellationToken);
        Assert.Equal(0, cache.Count);
        Assert.Equal(["a", "a"], inner.Calls);
    }

    [Fact]
    public async Task Concurrent_callers_get_correct_vectors_and_the_cache_stays_bounded()
    {
        var cache = new CachingTextEncoder(new CountingEncoder(), capacity: 50);
        var ct = TestContext.Current.CancellationToken;
        await Task.WhenAll(Enumerable.Range(0, 4).Select(t => Task.Run(
            () =>
            {
                var random = new Random(t);
                for (var i = 0; i < 2_000; i++)
                {
                    var text = new string('q', random.Next(1, 200));
                    Assert.Equal(text.Length, cache.Encode([text], ct)[0][0]);
                }
            },
            ct)));
        Assert.InRange(cache.Count, 1, 50);
    }

    /// <summary>Vector = [text length, 0]; records the texts it was asked for.</summary>
    private sealed class CountingEncoder : ITextEncoder
    {
        private readonly Lock _lock = new();

        public List<string> Calls { get; } = [];

        public string ModelName => "counting";

        public int Dimensions => 2;

        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
        {
            lock (_lock)
            {
                Calls.AddRange(texts);
            }

            return texts.Select(t => new float[] { t.Length, 0f }).ToList();
        }
    }
}
