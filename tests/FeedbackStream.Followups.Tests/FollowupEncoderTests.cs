using FeedbackStream.Embeddings;
using FeedbackStream.Followups.Model;
using FeedbackStream.Followups.Neighbours;
using FeedbackStream.Followups.Seed;

namespace FeedbackStream.Followups.Tests;

/// <summary>
/// The follow-up model and the neighbour classifier with a sentence encoder. A hashed bag-of-words stands in for the
/// ONNX model (mechanics, not quality; the real encoder's figures come from <c>eval followups</c>).
/// </summary>
public sealed class FollowupEncoderTests
{
    private static readonly IReadOnlyList<LabelledFollowup> Rows =
    [
        new("thank you, that was perfect", Polarity.Sat, "gratitude", LabelledFollowup.SeedSource, []),
        new("thanks a lot, this helped", Polarity.Sat, "gratitude", LabelledFollowup.SeedSource, []),
        new("that is wrong, the date is incorrect", Polarity.Dsat, "factual_error", LabelledFollowup.SeedSource, []),
        new("wrong again, incorrect numbers", Polarity.Dsat, "factual_error", LabelledFollowup.SeedSource, []),
        new("what time is it in tokyo", Polarity.Neutral, "neutral", LabelledFollowup.SeedSource, []),
        new("now tell me about tokyo weather", Polarity.Neutral, "neutral", LabelledFollowup.SeedSource, []),
    ];

    [Fact]
    public void Model_with_an_encoder_trains_scores_and_round_trips_only_with_an_encoder_of_the_same_length()
    {
        var encoder = new HashingEncoder();
        var (train, _) = FollowupSeedSet.Split(FollowupSeedSet.Load());
        var model = FollowupModel.Train(train, new FollowupModelOptions { Seed = 3, Encoder = encoder, MaximumIterations = 10 });
        Assert.Same(encoder, model.Encoder);
        Assert.Contains("encoder=hashing", model.Description, StringComparison.Ordinal);

        string[] texts = ["thank you so much", "this is wrong", string.Empty, new string('x', 10_000)];
        var before = model.ClassifyMany(texts);
        Assert.Equal(before[0].Kind, model.Classify(texts[0]).Kind);

        using var stream = new MemoryStream();
        model.Save(stream);
        stream.Position = 0;
        var error = Assert.Throws<InvalidDataException>(() => FollowupModel.Load(stream));
        Assert.Contains("without an encoder", error.Message, StringComparison.Ordinal);

        stream.Position = 0;
        var loaded = FollowupModel.Load(stream, encoder: encoder, embeddingScale: new FollowupModelOptions().EmbeddingScale);
        Assert.Equal(before.Select(c => (c.Kind, Math.Round(c.PDsat, 5))), loaded.ClassifyMany(texts).Select(c => (c.Kind, Math.Round(c.PDsat, 5))));
    }

    [Fact]
    public void Neighbours_vote_by_similarity_and_only_overrule_a_neutral_verdict_when_sure()
    {
        var knn = new NeighbourFollowupClassifier(new HashingEncoder(), Rows, options: new NeighbourOptions { K = 3, MinSimilarity = 0.3 }, cancellationToken: TestContext.Current.CancellationToken);
        var verdicts = knn.ClassifyMany(["the numbers are wrong and incorrect", "thanks, perfect"], TestContext.Current.CancellationToken);

        Assert.Equal(Polarity.Dsat, verdicts[0].Classification.Polarity);
        Assert.Equal("factual_error", verdicts[0].Classification.Kind);
        Assert.Equal(Polarity.Sat, verdicts[1].Classification.Polarity);
        Assert.InRange(verdicts[0].Classification.PSat + verdicts[0].Classification.PDsat + verdicts[0].Classification.PNeutral, 0.999, 1.001);

        var neutral = new FollowupClassification(Polarity.Neutral, "neutral", 0.1, 0.1, 0.8, FollowupClassification.LexiconMethod, []);
        var sat = new FollowupClassification(Polarity.Sat, "gratitude", 0.8, 0.1, 0.1, FollowupClassification.LexiconMethod, []);
        Assert.Equal(Polarity.Dsat, knn.Rescue(neutral, verdicts[0]).Polarity);
        Assert.Same(sat, knn.Rescue(sat, verdicts[0]));
        Assert.Same(neutral, knn.Rescue(neutral, verdicts[0] with { ClosestSimilarity = 0.1 }));
    }

    /// <summary>Unit-length hashed bag of lower-case words (64 dimensions).</summary>
    private sealed class HashingEncoder : ITextEncoder
    {
        public string ModelName => "hashing";

        public int Dimensions => 64;

        public IReadOnlyList<float[]> Encode(IReadOnlyList<string> texts, CancellationToken cancellationToken = default) => texts.Select(t =>
        {
            var v = new float[Dimensions];
            foreach (var word in t.ToLowerInvariant().Split([' ', ',', '.', '?', '!'], StringSplitOptions.RemoveEmptyEntries))
            {
                var h = 17;
                foreach (var c in word)
                {
                    h = unchecked((h * 31) + c);
                }

                v[(h & int.MaxValue) % Dimensions] += 1;
            }

            Vectors.NormalizeInPlace(v);
            return v;
        }).ToList();
    }
}
