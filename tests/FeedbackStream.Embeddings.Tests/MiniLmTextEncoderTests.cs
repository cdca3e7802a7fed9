using System.Text;
using FeedbackStream.Embeddings.MiniLm;

namespace FeedbackStream.Embeddings.Tests;

/// <summary>Mechanics of the ONNX encoder: determinism, normalisation, a clear-margin similarity order, hostile input.</summary>
public sealed class MiniLmTextEncoderTests(MiniLmFixture fixture) : IClassFixture<MiniLmFixture>
{
    private readonly MiniLmTextEncoder _encoder = fixture.Encoder;

    [Fact]
    public void Same_text_gives_the_same_unit_vector_alone_and_inside_a_batch()
    {
        const string text = "Thanks, that fixed my problem.";
        var alone = _encoder.Encode([text], TestContext.Current.CancellationToken)[0];
        var again = _encoder.Encode([text], TestContext.Current.CancellationToken)[0];
        var batched = _encoder.Encode(["A much longer sentence that forces padding on the shorter one in the same batch.", text, "ok"], TestContext.Current.CancellationToken)[1];

        Assert.Equal(MiniLmTextEncoder.VectorLength, alone.Length);
        Assert.Equal(alone, again);
        Assert.InRange(Vectors.Norm(alone), 1 - 1e-3, 1 + 1e-3);
        for (var i = 0; i < alone.Length; i++)
        {
            Assert.InRange(batched[i] - alone[i], -1e-4, 1e-4);
        }
    }

    [Fact]
    public void Paraphrases_are_closer_than_unrelated_sentences_by_a_clear_margin()
    {
        var v = _encoder.Encode(
            [
                "That answer is wrong, please fix it.",
                "Your reply is incorrect, correct it please.",
                "The train to Berlin leaves at nine in the morning.",
                "Thank you so much, this was really helpful!",
                "Thanks a lot, that helped me a great deal.",
            ],
            TestContext.Current.CancellationToken);

        var paraphraseA = Vectors.Dot(v[0], v[1]);
        var paraphraseB = Vectors.Dot(v[3], v[4]);
        var unrelatedA = Vectors.Dot(v[0], v[2]);
        var unrelatedB = Vectors.Dot(v[3], v[2]);
        Assert.True(paraphraseA > unrelatedA + 0.3, $"paraphrase {paraphraseA:0.000} vs unrelated {unrelatedA:0.000}");
        Assert.True(paraphraseB > unrelatedB + 0.3, $"paraphrase {paraphraseB:0.000} vs unrelated {unrelatedB:0.000}");
    }

    public static TheoryData<string, string> HostileTexts()
    {
        var data = new TheoryData<string, string>
        {
            { "empty", string.Empty },
            { "whitespace only", " \t\r\n  \u00a0\u2003 " },
            { "nul and control characters", "\0\u0001\u0007\u001b[31mred\u0000\u200b\ufeff" },
            { "lone high surrogate", "before \ud800 after" },
            { "lone low surrogate at the end", "text\udc00" },
            { "reversed surrogate pair", "\udc00\ud800" },
            { "emoji and symbols", "😀😀😀 ♥ ✓ 𝔘𝔫𝔦𝔠𝔬𝔡𝔢 ﷽" },
            { "regex metacharacters", "((((((((((((( [[[[ *+?{}$^|\\ ))))))" },
            { "cjk", "这个回答不对，请再试一次。日本語のテキスト" },
            { "combining marks", "e\u0301\u0301\u0301\u0301\u0301\u0301 Z\u0351\u036b\u0343\u036a\u0302\u036b\u033d\u034f\u0334" },
            { "one huge word", new string('a', 200_000) },
            { "huge text of short words", string.Concat(Enumerable.Repeat("lorem ipsum dolor sit amet ", 200_000)) },
            { "huge punctuation run", new string('(', 500_000) },
            { "huge control run then a word", new string('\u0001', 300_000) + " hello" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(HostileTexts))]
    public void Hostile_input_never_throws_and_stays_within_the_token_budget(string name, string text)
    {
        var ids = _encoder.Tokenize(text);
        Assert.InRange(ids.Length, 2, 64);

        var vector = _encoder.Encode([text, "ok"], TestContext.Current.CancellationToken)[0];
        Assert.Equal(MiniLmTextEncoder.VectorLength, vector.Length);
        Assert.All(vector, x => Assert.True(float.IsFinite(x), name));
        Assert.InRange(Vectors.Norm(vector), 1 - 1e-3, 1 + 1e-3);
    }

    [Fact]
    public void Long_text_is_cut_to_max_tokens_and_its_start_decides_the_vector()
    {
        const string start = "The printer keeps jamming when I print double-sided pages.";
        var longText = start + " " + string.Join(' ', Enumerable.Repeat("unrelated filler words about cooking pasta", 500));
        Assert.Equal(64, _encoder.Tokenize(longText).Length);

        var v = _encoder.Encode([longText, start + " " + string.Join(' ', Enumerable.Repeat("unrelated filler words about cooking pasta", 300))], TestContext.Current.CancellationToken);
        for (var i = 0; i < v[0].Length; i++)
        {
            Assert.InRange(v[0][i] - v[1][i], -1e-4, 1e-4);
        }
    }

    [Fact]
    public void Tokenizer_follows_bert_uncased_word_pieces()
    {
        // [CLS] hello world ! [SEP] in the bert-base-uncased vocabulary, which all-MiniLM-L6-v2 uses.
        Assert.Equal([101, 7592, 2088, 999, 102], _encoder.Tokenize("Hello WORLD!"));
        Assert.Equal(_encoder.Tokenize("cafe"), _encoder.Tokenize("Café"));
    }

    [Fact]
    public void Model_name_carries_the_truncation_length()
    {
        Assert.Equal("all-MiniLM-L6-v2/max64", _encoder.ModelName);
        Assert.Equal(384, _encoder.Dimensions);
    }

    [Fact]
    public void Cancelled_call_throws_operation_cancelled()
    {
        using var cancelled = new CancellationTokenSource();
        cancelled.Cancel();
        Assert.ThrowsAny<OperationCanceledException>(() => _encoder.Encode(["a", "b"], cancelled.Token));
        Assert.Empty(_encoder.Encode([], TestContext.Current.CancellationToken));
    }

    [Fact]
    public void Huge_unicode_soup_is_handled()
    {
        var builder = new StringBuilder();
        var random = new Random(5);
        for (var i = 0; i < 100_000; i++)
        {
            builder.Append((char)random.Next(0, 0x10000));
        }

        var vector = _encoder.Encode([builder.ToString()], TestContext.Current.CancellationToken)[0];
        Assert.InRange(Vectors.Norm(vector), 1 - 1e-3, 1 + 1e-3);
    }
}
