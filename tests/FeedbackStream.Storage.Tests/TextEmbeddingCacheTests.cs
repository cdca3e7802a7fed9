using FeedbackStream.Embeddings;
using FeedbackStream.Storage.Embeddings;

namespace FeedbackStream.Storage.Tests;

/// <summary><c>text_embeddings</c> on the real engine: each text of an app is embedded once, per encoder, and read back exactly.</summary>
public sealed class TextEmbeddingCacheTests(ClickHouseFixture clickHouse)
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static TheoryData<bool> Transports => TestDatabase.Transports;

    /// <summary>A deterministic stand-in for a sentence encoder that counts the texts it was asked to encode.</summary>
    private sealed class CountingEncoder(string name) : ITextEncoder
    {
        public List<string> Seen { get; } = [];

        public string ModelName => name;

        public int Dimensions => 3;

        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
        {
            Seen.AddRange(texts);
            return texts.Select(t => PairVector(t.Length, t.Count(c => c == 'a'), 1)).ToList();
        }

        private static float[] PairVector(float x, float y, float z)
        {
            var norm = MathF.Sqrt((x * x) + (y * y) + (z * z));
            return [x / norm, y / norm, z / norm];
        }
    }

    [Theory]
    [MemberData(nameof(Transports))]
    public async Task EachTextOfAnApp_IsEmbeddedOncePerEncoder_AndReadBackExactly(bool overHttp)
    {
        await using var db = await TestDatabase.CreateAsync(clickHouse, overHttp, Ct);
        var encoder = new CountingEncoder("enc/256");
        var cache = new TextEmbeddingCache(new TextEmbeddingRepository(db.Client), encoder) { BatchSize = 2 };
        string[] texts = ["a banana", "an apple", "a banana", "cherry \"quoted\"\n", "an apple"];

        var first = await cache.VectorsAsync("app1", texts, Ct);

        Assert.Equal(["a banana", "an apple", "cherry \"quoted\"\n"], encoder.Seen);
        Assert.Equal(5, first.Count);
        Assert.Equal(first[0], first[2]);
        Assert.Equal((0L, 3L), cache.Counts);

        // A second run (a new cache, as the next export is) reads every vector back and embeds nothing.
        var again = new TextEmbeddingCache(new TextEmbeddingRepository(db.Client), encoder);
        var second = await again.VectorsAsync("app1", texts, Ct);
        Assert.Equal(3, encoder.Seen.Count);
        Assert.Equal((3L, 0L), again.Counts);
        for (var i = 0; i < texts.Length; i++)
        {
            Assert.Equal(first[i], second[i]);
        }

        // Another app's texts are its own, and another encoder never reads these vectors.
        await new TextEmbeddingCache(new TextEmbeddingRepository(db.Client), encoder).VectorsAsync("app2", ["a banana"], Ct);
        Assert.Equal(4, encoder.Seen.Count);
        var other = new CountingEncoder("other/128");
        await new TextEmbeddingCache(new TextEmbeddingRepository(db.Client), other).VectorsAsync("app1", ["a banana"], Ct);
        Assert.Equal(["a banana"], other.Seen);
    }
}
