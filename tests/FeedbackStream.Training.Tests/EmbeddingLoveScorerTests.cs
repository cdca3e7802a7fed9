using FeedbackStream.Embeddings;
using FeedbackStream.Training.Embedding;
using FeedbackStream.Training.Evaluation;
using FeedbackStream.Training.Metrics;
using FeedbackStream.Training.Model;

namespace FeedbackStream.Training.Tests;

/// <summary>The sentence-vector P[Love] scorer and its place in the rolling-origin evaluation (a keyword encoder stands in for the model).</summary>
public sealed class EmbeddingLoveScorerTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Scorer_learns_a_direction_of_the_response_vector_and_is_deterministic()
    {
        var random = new Random(3);
        var rows = new List<EmbeddedResponse>();
        var labels = new List<bool>();
        for (var i = 0; i < 400; i++)
        {
            var loved = random.NextDouble() < 0.4;
            var response = Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble() - 0.5f).ToArray();
            response[2] += loved ? 0.6f : -0.6f;
            Vectors.NormalizeInPlace(response);
            var context = Enumerable.Range(0, 8).Select(_ => (float)random.NextDouble()).ToArray();
            Vectors.NormalizeInPlace(context);
            rows.Add(new EmbeddedResponse(context, response, 100 + random.Next(50)));
            labels.Add(loved);
        }

        var scorer = EmbeddingLoveScorer.Fit(rows[..300], labels[..300], cancellationToken: TestContext.Current.CancellationToken);
        var scores = scorer.Score(rows[300..]);
        Assert.True(BinaryMetrics.Auc(scores, labels[300..]) > 0.85);
        Assert.All(scores, s => Assert.InRange(s, 0, 1));
        Assert.Equal(scores, EmbeddingLoveScorer.Fit(rows[..300], labels[..300], cancellationToken: TestContext.Current.CancellationToken).Score(rows[300..]));
    }

    [Fact]
    public void Scorer_rejects_mismatched_rows_and_labels()
    {
        var row = new EmbeddedResponse([1f], [1f], 1);
        var error = Assert.Throws<ArgumentException>(() => EmbeddingLoveScorer.Fit([row], [true, false], cancellationToken: TestContext.Current.CancellationToken));
        Assert.Contains("equally many", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Rolling_origin_with_an_encoder_scores_the_embedding_column_and_embeds_each_text_once()
    {
        var corpus = Enumerable.Range(0, 300).Select(i =>
        {
            var loved = i % 3 == 0;
            // Same length either way: only the words tell the classes apart.
            var response = loved ? "great clear answer" : "vague dull answer";
            return new LoveExample($"e{i:D4}", "app", $"u{i % 13}", "m1", "web", "question", response, 1, 0, T0.AddHours(i), loved);
        }).ToList();
        var encoder = new KeywordEncoder();
        var options = new RollingOriginOptions
        {
            Cuts = [0.6, 0.8],
            Resamples = 30,
            Model = new LoveModelOptions { Learner = LoveLearner.SdcaLogistic, Iterations = 10 },
            Encoder = new CachingTextEncoder(encoder, 100),
        };

        var result = RollingOrigin.Run(corpus, options, cancellationToken: TestContext.Current.CancellationToken);

        Assert.All(result.Folds, f => Assert.Contains(RollingOrigin.Embedding, f.Auc.Keys));
        Assert.Equal(1.0, result.MeanAuc[RollingOrigin.Embedding].Auc);
        Assert.NotNull(result.EmbeddingGainOverLength);
        Assert.Equal(3, encoder.Texts);
    }

    /// <summary>Dimension 0: "great", 1: "vague", 2: "question"; counts the texts it was asked to encode.</summary>
    private sealed class KeywordEncoder : ITextEncoder
    {
        private int _texts;

        public int Texts => _texts;

        public string ModelName => "keywords";

        public int Dimensions => 3;

        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default)
        {
            Interlocked.Add(ref _texts, texts.Count);
            return texts.Select(t =>
            {
                var v = new[] { t.Contains("great", StringComparison.Ordinal) ? 1f : 0f, t.Contains("vague", StringComparison.Ordinal) ? 1f : 0f, t.Contains("question", StringComparison.Ordinal) ? 1f : 0.1f };
                Vectors.NormalizeInPlace(v);
                return v;
            }).ToList();
        }
    }
}
