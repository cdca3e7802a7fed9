using FeedbackStream.Followups.Eurtad;
using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Tests;

public sealed class EurtadCorpusTests
{
    private static readonly Lazy<EurtadCorpus?> Corpus = new(() =>
    {
        var directory = FollowupDataLocator.FindEurtad();
        return EurtadCorpus.IsPresent(directory) ? EurtadCorpus.Load(directory!) : null;
    });

    private static EurtadCorpus RequireCorpus()
    {
        if (Corpus.Value is null)
        {
            Assert.Skip($"EURTAD data not found at '{FollowupDataLocator.FindEurtad() ?? "(no candidate)"}' (../shared/data/eurtad beside the repository root, or set {FollowupDataLocator.DataDirVariable}); these tests read it at run time and never copy it into the repository.");
        }

        return Corpus.Value!;
    }

    [Fact]
    public void SplitTurns_SeparatesUserAndSystemTurns()
    {
        var turns = EurtadCorpus.SplitTurns("<user> hi there <system> hello, how can I help?<user> <SILENCE> <system> ");

        Assert.Equal(
            [("user", "hi there"), ("system", "hello, how can I help?"), ("user", "<SILENCE>"), ("system", string.Empty)],
            turns);
    }

    [Fact]
    public void ParseRecord_NumericIdOriginal_IsKeptAsText()
    {
        var record = EurtadCorpus.ParseRecord("dev.jsonl", """{"target":"t","user_reaction_type":"","user_reaction":"","error_type":"","error_text":"","context":"<user> a <system> b","id":1,"id_original":1018,"source_file":"x.json"}""");

        Assert.Equal("1018", record.IdOriginal);
        Assert.Equal(string.Empty, record.UserReactionType);
    }

    [Fact]
    public void Load_OnlyErroneousTrainCarriesReactionLabels()
    {
        var corpus = RequireCorpus();

        var reactions = corpus.Reactions().ToList();
        Assert.Equal(173, reactions.Count);
        Assert.All(reactions, r => Assert.Equal(EurtadCorpus.ErroneousTrainFile, r.File));
        Assert.Equal(EurtadCorpus.ReactionKinds.Keys.Order(), reactions.Select(r => r.UserReactionType).Distinct().Order());
        Assert.Equal(373, corpus.Records.Count(r => r.File == "test.jsonl"));
        Assert.All(corpus.Records.Where(r => r.File is "dev.jsonl" or "test.jsonl"), r => Assert.Equal(string.Empty, r.UserReactionType));
    }

    [Fact]
    public void ContextTurns_AreUserTurnsAfterSystemTurns_WithoutSilence()
    {
        var turns = RequireCorpus().ContextTurns().ToList();

        Assert.True(turns.Count > 10_000, $"{turns.Count} context turns");
        Assert.DoesNotContain(turns, t => t.Text == "<SILENCE>" || t.Text.Length == 0 || t.PreviousSystemTurn.Length == 0);
        Assert.Contains(turns, t => t.File == "test.jsonl");
    }

    [Fact]
    public void Protocol_TrainAndEvalNeverShareAText()
    {
        var split = EurtadProtocol.Build(RequireCorpus());

        static HashSet<string> Keys(IEnumerable<LabelledFollowup> rows) => rows.Select(r => FollowupText.Normalize(r.Text)).ToHashSet();
        var train = Keys(split.TrainDsat.Concat(split.TrainNonDsat));
        var eval = Keys(split.EvalDsat.Concat(split.EvalNonDsat));

        Assert.Empty(train.Intersect(eval));
        Assert.Empty(Keys(split.EvalNonDsat).Intersect(Keys(split.EvalDsat.Concat(split.TrainDsat))));
        Assert.Equal(173, split.TrainDsat.Count + split.EvalDsat.Count);
        Assert.InRange(split.EvalDsat.Count, 20, 80);
        Assert.All(split.EvalDsat, r => Assert.Equal(Polarity.Dsat, r.Polarity));
        Assert.All(split.EvalDsat, r => Assert.Equal(EurtadCorpus.ReactionKinds[r.Note], r.Kind));
    }

    [Fact]
    public void Protocol_IsDeterministic()
    {
        var corpus = RequireCorpus();

        var first = EurtadProtocol.Build(corpus);
        var second = EurtadProtocol.Build(corpus);

        Assert.Equal(first.EvalDsat.Select(r => r.Text), second.EvalDsat.Select(r => r.Text));
        Assert.Equal(first.EvalNonDsat.Select(r => r.Text), second.EvalNonDsat.Select(r => r.Text));
    }

    [Fact]
    public void ReactionKinds_MapOntoDsatKinds() =>
        Assert.All(EurtadCorpus.ReactionKinds.Values, k => Assert.Equal(Polarity.Dsat, FollowupKinds.PolarityOf(k)));
}
