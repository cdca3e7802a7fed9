namespace FeedbackStream.Gateway.Tests;

public sealed class RedactionEvaluationTests
{
    [Fact]
    public void Corpus_IsDeterministic_AndLargeEnough()
    {
        var first = RedactionCorpus.Generate();
        var second = RedactionCorpus.Generate();
        Assert.Equal(first.Select(s => s.Text), second.Select(s => s.Text));
        Assert.True(first.Count(s => s.Kind is not null) >= 500);
        Assert.True(first.Count(s => s.Kind is null) >= 500);
    }

    [Fact]
    public void Redaction_MeetsItsTargets_OnTheCorpus()
    {
        var report = RedactionEvaluation.Run();
        var misses = string.Join("\n", report.Misses.Select(m => $"{m.Kind ?? "non-pii"}/{m.Variant}: {m.Text} => {m.Output}"));
        Assert.All(report.Kinds, k => Assert.True(k.Recall >= 0.99, $"{k.Kind} recall {k.Recall}\n{misses}"));
        Assert.True(report.FalsePositiveRate <= 0.01, $"false positives {report.FalsePositiveRate}\n{misses}");
    }
}
