using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Eurtad;

/// <summary>The EURTAD parts used for training and for held-out evaluation (see <see cref="EurtadProtocol"/>).</summary>
/// <param name="TrainDsat">Reactions to erroneous turns, training side, labelled with the mapped DSAT kind.</param>
/// <param name="EvalDsat">Reactions to erroneous turns, held out.</param>
/// <param name="TrainNonDsat">Unique context follow-ups, training side. Only "not DSAT" is known about them; they carry polarity neutral until weak-labelled.</param>
/// <param name="EvalNonDsat">Unique context follow-ups, held out; scored as non-DSAT.</param>
/// <param name="ContextTurnsSeen">Context follow-ups read before deduplication.</param>
/// <param name="ContextTurnsDroppedAsReactions">Unique context follow-ups dropped because the same text is a labelled reaction somewhere.</param>
public sealed record EurtadSplit(
    IReadOnlyList<LabelledFollowup> TrainDsat,
    IReadOnlyList<LabelledFollowup> EvalDsat,
    IReadOnlyList<LabelledFollowup> TrainNonDsat,
    IReadOnlyList<LabelledFollowup> EvalNonDsat,
    int ContextTurnsSeen,
    int ContextTurnsDroppedAsReactions);

/// <summary>
/// The evaluation protocol on EURTAD. Facts it has to live with: only <c>erroneous_train.jsonl</c> (173 records) has
/// reaction labels, all of them reactions to erroneous system turns (DSAT); <c>dev</c> and <c>test</c> have none; and the
/// contexts of <c>test</c> share almost all their dialogues (220 of 229) with <c>non_erroneous_train</c>, so a split by file
/// would test on training text. Hence:
/// <list type="bullet">
/// <item>DSAT side: the labelled reactions, split by a salted stable hash of the normalized reaction text (identical
/// texts stay together); <see cref="HeldOutFraction"/> held out.</item>
/// <item>Non-DSAT side: every user turn that directly follows a system turn in the contexts of all four files (those
/// system turns are not marked erroneous), deduplicated by normalized text, minus any text that is also a labelled
/// reaction; split by the same hash rule.</item>
/// </list>
/// The non-DSAT label is an assumption (a few context turns may still show mild dissatisfaction), and the
/// classifier sees only the follow-up, not the system turn before it.
/// </summary>
public static class EurtadProtocol
{
    public const double HeldOutFraction = 0.3;
    public const string DefaultSalt = "followups-eurtad-v1";

    public static EurtadSplit Build(EurtadCorpus corpus, string salt = DefaultSalt)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        var trainDsat = new List<LabelledFollowup>();
        var evalDsat = new List<LabelledFollowup>();
        var reactionKeys = new HashSet<string>(StringComparer.Ordinal);
        foreach (var record in corpus.Reactions())
        {
            var key = EurtadCorpus.Key(record.UserReaction);
            reactionKeys.Add(key);
            var kind = EurtadCorpus.ReactionKinds[record.UserReactionType];
            var row = new LabelledFollowup(record.UserReaction, Polarity.Dsat, kind, LabelledFollowup.EurtadReactionSource, [], record.UserReactionType);
            (StableHash.InFraction(salt, key, HeldOutFraction) ? evalDsat : trainDsat).Add(row);
        }

        var seen = 0;
        var dropped = 0;
        var unique = new Dictionary<string, EurtadContextTurn>(StringComparer.Ordinal);
        foreach (var turn in corpus.ContextTurns())
        {
            seen++;
            unique.TryAdd(EurtadCorpus.Key(turn.Text), turn);
        }

        var trainNon = new List<LabelledFollowup>();
        var evalNon = new List<LabelledFollowup>();
        foreach (var (key, turn) in unique.OrderBy(p => p.Key, StringComparer.Ordinal))
        {
            if (reactionKeys.Contains(key))
            {
                dropped++;
                continue;
            }

            var row = new LabelledFollowup(turn.Text, Polarity.Neutral, FollowupKinds.Neutral, LabelledFollowup.EurtadContextSource, [], turn.SourceFile);
            (StableHash.InFraction(salt, key, HeldOutFraction) ? evalNon : trainNon).Add(row);
        }

        return new EurtadSplit(trainDsat, evalDsat, trainNon, evalNon, seen, dropped);
    }
}
