using System.Text;
using System.Text.RegularExpressions;
using FeedbackStream.Contracts;
using FeedbackStream.Mining;

namespace FeedbackStream.Replay;

/// <summary>How OASST messages become v1 events (see <see cref="OasstEventMapper"/>).</summary>
public sealed class OasstMappingOptions
{
    public const string DefaultAppId = "oasst";

    /// <summary><c>app_id</c> of every event.</summary>
    public string AppId { get; set; } = DefaultAppId;

    /// <summary>
    /// OASST has no reaction timestamps: a reviewer's reaction is put this long after the reply was written. Two minutes
    /// is a plausible reading time for the corpus's replies (the longest needs under a minute by the too-fast rule).
    /// </summary>
    public TimeSpan ReactionDelay { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>
    /// ... and each further reviewer of the same reply this much later: OASST reviewers came one by one, over hours or
    /// days, so their reactions must not look like a burst (the brigade rule judges bursts within minutes).
    /// </summary>
    public TimeSpan ReactionSpacing { get; set; } = TimeSpan.FromHours(1);

    /// <summary><c>model_version</c> of a reply without <c>model_name</c> (OASST replies are written by volunteers).</summary>
    public string HumanModelVersion { get; set; } = "oasst-human";

    /// <summary><c>surface</c> of every response.served.</summary>
    public string Surface { get; set; } = "oasst";

    /// <summary>
    /// Corpus time is compressed by this factor toward the earliest <c>created_date</c> (1 keeps it), so a corpus written
    /// over months fits a gateway's <c>max_event_age</c>; reaction delays are added after, uncompressed.
    /// </summary>
    public double TimeCompression { get; set; } = 1;

    /// <summary>Added to every timestamp after compression (to replay the corpus as recent traffic).</summary>
    public TimeSpan TimeShift { get; set; } = TimeSpan.Zero;
}

/// <summary>What the mapping produced and what it left out.</summary>
public sealed record OasstMappingStats(
    int Messages,
    int Responses,
    int Loves,
    int Dislikes,
    int Reports,
    int Followups,
    int SkippedReplies,
    int IgnoredEmojis,
    int TruncatedTexts);

/// <summary>The events of a corpus, in time order, and the mapping's counts.</summary>
public sealed record OasstEvents(IReadOnlyList<FeedbackEvent> Events, OasstMappingStats Stats);

/// <summary>
/// Converts an OASST corpus to v1 events, deterministically (same corpus and options, same events and ids: replaying
/// twice duplicates nothing). The mapping:
/// <list type="bullet">
/// <item>each assistant reply to a prompter message → <c>response.served</c>: response_id = message_id, served to the
/// prompter who asked (user_id = the parent's author), occurred_at = created_date, turn_index = depth in the tree (the
/// root prompt is 0), prompt_text = the parent's text, prompt_hash = a digest of every text from the root to the parent
/// (the whole context: sibling replies share it, hence one prompt key; equal last utterances in unrelated trees,
/// such as "thank you", do not), candidate_index = order among the parent's assistant replies by created_date,
/// model_version = model_name or <see cref="OasstMappingOptions.HumanModelVersion"/>, locale = lang.</item>
/// <item><c>+1</c> with count n → n <c>reaction.set</c> love, <c>-1</c> → n dislike, <c>red_flag</c> → n
/// <c>response.action</c> report (a red flag asks moderators to look at a reply: spam, harm, abuse, which is what report
/// means; a dislike would say only "bad answer"). OASST keeps counts, not reviewers: the k-th reviewer of a reply
/// gets the pseudonym <c>oasst-reviewer:</c> + a digest of (message_id, emoji, k), distinct within the reply and
/// stable across runs. Reactions have no timestamps: the k-th one is put at created_date +
/// <see cref="OasstMappingOptions.ReactionDelay"/> + k × <see cref="OasstMappingOptions.ReactionSpacing"/>.</item>
/// <item>each prompter reply to an assistant message → <c>followup.sent</c> on that response, by its own author, at its created_date.</item>
/// <item>conversation_id = message_tree_id: an event carries one conversation, and an inner message lies on every
/// root-to-leaf thread below it, so per-thread ids would duplicate it; the tree's branches are the alternative
/// candidates of one conversation, as regenerations are in the product.</item>
/// <item>event_id = <c>oasst:{kind}:{message_id}[:{k}]</c>. Ids that do not fit the contract's identifier pattern are digested.</item>
/// </list>
/// Not mapped: emojis with no product signal (<c>_skip_reply</c>, <c>_skip_ranking</c>, <c>_skip_labeling</c>, ...),
/// reactions on prompter messages (the product reacts to responses only), the human <c>labels</c> and <c>rank</c>
/// (annotations, not behaviour; rank is only the yardstick of <see cref="OasstEvaluation"/>), replies whose chain of
/// parents leaves the file (their prompt is unknown). Texts longer than the contract's limit are cut to it.
/// </summary>
public static partial class OasstEventMapper
{
    public const string Love = "+1";
    public const string Dislike = "-1";
    public const string RedFlag = "red_flag";

    public static OasstEvents Map(OasstCorpus corpus, OasstMappingOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        options ??= new OasstMappingOptions();
        if (options.TimeCompression < 1)
        {
            throw new ArgumentOutOfRangeException(nameof(options), "TimeCompression must be at least 1.");
        }

        var origin = corpus.Messages.Count == 0 ? DateTimeOffset.UnixEpoch : corpus.Messages.Min(m => m.CreatedDate);
        DateTimeOffset Clock(DateTimeOffset at) => origin + ((at - origin) / options.TimeCompression) + options.TimeShift;

        var events = new List<FeedbackEvent>();
        int responses = 0, loves = 0, dislikes = 0, reports = 0, followups = 0, skipped = 0, ignored = 0, truncated = 0;
        string Text(string text)
        {
            var cut = Truncate(text, SchemaLimits.MaxTextLength);
            truncated += cut.Length == text.Length ? 0 : 1;
            return cut;
        }

        foreach (var message in corpus.Messages)
        {
            if (message.Role == OasstRole.Prompter)
            {
                ignored += message.Emojis.Values.Sum();
                continue;
            }

            var parent = message.ParentId is { } p ? corpus.Find(p) : null;
            var depth = corpus.DepthOf(message.MessageId);
            if (parent is not { Role: OasstRole.Prompter } || depth is null)
            {
                skipped++;
                continue;
            }

            var app = options.AppId;
            var responseId = Token(message.MessageId);
            var conversation = Token(message.MessageTreeId);
            var served = Clock(message.CreatedDate);
            var candidates = corpus.ChildrenOf(parent.MessageId).Where(c => c.Role == OasstRole.Assistant).ToList();
            var payload = new ResponseServed(
                responseId,
                depth.Value,
                Text(message.Text),
                message.ModelName is { } model && IdentifierPattern().IsMatch(model) ? model : options.HumanModelVersion,
                PromptText: Text(parent.Text),
                PromptHash: PromptHash(corpus, parent.MessageId),
                CandidateIndex: candidates.FindIndex(c => c.MessageId == message.MessageId),
                Surface: options.Surface,
                Locale: message.Lang is { } lang && LocalePattern().IsMatch(lang) ? lang : null);
            events.Add(FeedbackEvent.Create($"oasst:served:{responseId}", app, served, Token(parent.UserId), conversation, payload));
            responses++;

            var k = 0;
            foreach (var (emoji, kind) in new[] { (Love, "love"), (Dislike, "dislike"), (RedFlag, "report") })
            {
                for (var i = 0; i < message.EmojiCount(emoji); i++, k++)
                {
                    var offset = options.ReactionDelay + (k * options.ReactionSpacing);
                    var user = Reviewer(message.MessageId, emoji, i);
                    var ms = (long)offset.TotalMilliseconds;
                    EventPayload reaction = kind switch
                    {
                        "love" => new ReactionSet(responseId, Reaction.Love, ms),
                        "dislike" => new ReactionSet(responseId, Reaction.Dislike, ms),
                        _ => new ResponseAction(responseId, ActionKind.Report, ShownToActionMs: ms),
                    };
                    events.Add(FeedbackEvent.Create($"oasst:{kind}:{responseId}:{i}", app, served + offset, user, conversation, reaction));
                }
            }

            loves += message.EmojiCount(Love);
            dislikes += message.EmojiCount(Dislike);
            reports += message.EmojiCount(RedFlag);
            ignored += message.Emojis.Where(e => e.Key is not (Love or Dislike or RedFlag)).Sum(e => e.Value);

            foreach (var reply in corpus.ChildrenOf(message.MessageId).Where(c => c.Role == OasstRole.Prompter && c.Text.Length > 0))
            {
                var at = Clock(reply.CreatedDate);
                long? shown = at >= served ? (long)(at - served).TotalMilliseconds : null;
                events.Add(FeedbackEvent.Create(
                    $"oasst:followup:{Token(reply.MessageId)}", app, at, Token(reply.UserId), conversation, new FollowupSent(responseId, Text(reply.Text), shown)));
                followups++;
            }
        }

        var ordered = events.OrderBy(e => e.OccurredAt).ThenBy(e => e.EventId, StringComparer.Ordinal).ToList();
        return new OasstEvents(ordered, new OasstMappingStats(corpus.Messages.Count, responses, loves, dislikes, reports, followups, skipped, ignored, truncated));
    }

    /// <summary>
    /// Options that replay the corpus as recent traffic: time compressed (if needed) to fit <paramref name="window"/>, then
    /// shifted so that the newest event happened <paramref name="quietFor"/> before <paramref name="now"/> (every
    /// response settled under a settle window shorter than that).
    /// </summary>
    public static OasstMappingOptions Recent(OasstCorpus corpus, DateTimeOffset now, TimeSpan window, TimeSpan quietFor, OasstMappingOptions? template = null)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var options = Copy(template ?? new OasstMappingOptions());
        if (corpus.Messages.Count == 0)
        {
            return options;
        }

        var span = corpus.Messages.Max(m => m.CreatedDate) - corpus.Messages.Min(m => m.CreatedDate);
        options.TimeCompression = Math.Max(1, span / window);
        options.TimeShift = TimeSpan.Zero;
        var newest = Map(corpus, options).Events.Select(e => e.OccurredAt).DefaultIfEmpty(now).Max();
        options.TimeShift = now - quietFor - newest;
        return options;
    }

    /// <summary>The reviewer pseudonym of the <paramref name="index"/>-th <paramref name="emoji"/> on a message.</summary>
    public static string Reviewer(string messageId, string emoji, int index) =>
        "oasst-reviewer:" + Ids.Of("oasst-reviewer", messageId, emoji, index.ToString(System.Globalization.CultureInfo.InvariantCulture))[..20];

    /// <summary>The prompt_hash of replies to <paramref name="parentId"/>: a digest of the texts from the root to it.</summary>
    public static string PromptHash(OasstCorpus corpus, string parentId)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        return Ids.Of(["oasst-context", .. corpus.PathTexts(parentId)]);
    }

    /// <summary>An id as the contract accepts it: kept when it fits (up to 64 characters), digested otherwise.</summary>
    public static string Token(string id) => id.Length <= 64 && IdentifierPattern().IsMatch(id) ? id : "h:" + Ids.Of("oasst-id", id);

    private static OasstMappingOptions Copy(OasstMappingOptions o) => new()
    {
        AppId = o.AppId,
        ReactionDelay = o.ReactionDelay,
        ReactionSpacing = o.ReactionSpacing,
        HumanModelVersion = o.HumanModelVersion,
        Surface = o.Surface,
        TimeCompression = o.TimeCompression,
        TimeShift = o.TimeShift,
    };

    private static string Truncate(string text, int maxCodePoints)
    {
        if (text.Length <= maxCodePoints)
        {
            return text;
        }

        var builder = new StringBuilder(maxCodePoints);
        var count = 0;
        foreach (var rune in text.EnumerateRunes())
        {
            if (count++ == maxCodePoints)
            {
                break;
            }

            builder.Append(rune.ToString());
        }

        return builder.ToString();
    }

    [GeneratedRegex("^[A-Za-z0-9._:-]{1,128}$")]
    private static partial Regex IdentifierPattern();

    [GeneratedRegex("^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")]
    private static partial Regex LocalePattern();
}
