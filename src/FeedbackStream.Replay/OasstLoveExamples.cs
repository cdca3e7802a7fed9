using FeedbackStream.Training;

namespace FeedbackStream.Replay;

/// <summary>
/// OpenAssistant assistant replies as P[Love] examples: context = the parent message, response = the reply, Love = at
/// least one <c>+1</c>, served at the reply's creation time (so a chronological split is a later time slice), model
/// version = the reply's model name or <c>oasst-human</c>. Deleted replies are left out.
/// </summary>
public static class OasstLoveExamples
{
    public static IReadOnlyList<LoveExample> From(OasstCorpus corpus)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return corpus.Messages
            .Where(m => m.Role == OasstRole.Assistant && !m.Deleted)
            .Select(m => new LoveExample(
                m.MessageId,
                OasstMappingOptions.DefaultAppId,
                m.UserId,
                m.ModelName ?? "oasst-human",
                "oasst",
                m.ParentId is { } parent ? corpus.Find(parent)?.Text ?? string.Empty : string.Empty,
                m.Text,
                (corpus.DepthOf(m.MessageId) ?? 1) / 2,
                0,
                m.CreatedDate,
                m.EmojiCount(OasstEventMapper.Love) > 0))
            .ToList();
    }
}
