using System.Text.Json;
using FeedbackStream.Training.Model;

namespace FeedbackStream.Training.Tests;

public sealed class LoveFeaturizerTests
{
    private static LoveExample E(string response, string context = "ctx", string app = "chat", string version = "v1", bool love = false) =>
        new("id", app, "u", version, "web", context, response, 2, 1500, new DateTimeOffset(2026, 11, 1, 19, 30, 0, TimeSpan.Zero), love);

    [Fact]
    public void Vocabulary_CountsDocumentsNotOccurrences_AndNeedsSupport()
    {
        var rows = new List<LoveExample> { E("alpha alpha alpha alpha"), E("beta gamma"), E("beta delta"), E("Beta, gamma!") };
        var featurizer = LoveFeaturizer.Fit(rows, responseGrams: 10, contextGrams: 0, minimumDocuments: 2);
        // beta: 3 documents, gamma and "beta gamma": 2 each; alpha appears 4 times in a single document.
        Assert.Equal(["beta", "beta gamma", "gamma"], featurizer.ResponseGrams);
    }

    [Fact]
    public void Vector_HoldsGramCounts_Categories_AndNumericFeatures()
    {
        var featurizer = new LoveFeaturizer(["beta", "gamma", "beta gamma"], ["how"], ["chat"], ["web"], ["v1"]);
        var vector = featurizer.Vectorize(E("Beta gamma beta", context: "How?", version: "unseen"));
        var dense = vector.DenseValues().ToArray();
        Assert.Equal(featurizer.Dimension, dense.Length);
        Assert.Equal(2f, dense[0]);
        Assert.Equal(1f, dense[1]);
        Assert.Equal(1f, dense[2]);
        Assert.Equal(1f, dense[3]);
        Assert.Equal(1f, dense[4]);
        Assert.Equal(1f, dense[5]);
        Assert.Equal(0f, dense[6]);
        var numeric = dense[^LoveFeaturizer.NumericNames.Length..];
        Assert.Equal(["Beta gamma beta".Length, 3f, 2f, 1500f, 19f], numeric);
    }

    [Fact]
    public void Featurizer_SurvivesJson_AndGivesTheSameVectors()
    {
        var featurizer = LoveFeaturizer.Fit([E("a b c"), E("a b d"), E("b c")], minimumDocuments: 1);
        var copy = JsonSerializer.Deserialize<LoveFeaturizer>(JsonSerializer.Serialize(featurizer))!;
        var example = E("a b c d e");
        Assert.Equal(featurizer.Vectorize(example).DenseValues(), copy.Vectorize(example).DenseValues());
        Assert.Equal(featurizer.SlotNames(), copy.SlotNames());
    }

    [Fact]
    public void Grams_AreLowerCasedWordsAndAdjacentPairs()
    {
        var grams = new List<string>();
        var buffer = new char[2];
        var words = LoveFeaturizer.VisitGrams("Hello, World -- again! Bye.", g => grams.Add(g.ToString()), ref buffer);
        Assert.Equal(4, words);
        Assert.Equal(["hello", "world", "hello world", "again", "world again", "bye"], grams);
    }
}
