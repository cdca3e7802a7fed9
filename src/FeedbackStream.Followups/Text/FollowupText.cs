using System.Text;

namespace FeedbackStream.Followups.Text;

/// <summary>One word of a follow-up, with where it sits.</summary>
/// <param name="Value">Lower-case word without apostrophes (<c>don't</c> becomes <c>dont</c>); emoji become <c>emoji…</c> words.</param>
/// <param name="Segment">Index of the punctuation-delimited segment (split at , . ; : ! ? and dashes).</param>
/// <param name="Clause">Index of the contrastive clause: it increases at every <c>but</c> / <c>however</c>.</param>
internal readonly record struct Token(string Value, int Segment, int Clause);

/// <summary>A follow-up broken into tokens for the lexicon.</summary>
/// <param name="Tokens">The words, with "but"/"however" removed (they only start a new clause).</param>
/// <param name="SegmentEndsWithQuestionMark">For each segment, whether it ended at a question mark.</param>
/// <param name="ClauseCount">Number of contrastive clauses (1 when there is no but/however).</param>
internal sealed record TokenizedFollowup(IReadOnlyList<Token> Tokens, IReadOnlyList<bool> SegmentEndsWithQuestionMark, int ClauseCount);

/// <summary>
/// Text normalization shared by the lexicon and the model, so both see the same words: lower case, typographic
/// apostrophes and backticks folded, apostrophes dropped inside words, a few emoji and emoticons mapped to words.
/// </summary>
internal static class FollowupText
{
    private static readonly (string Symbol, string Word)[] Emoji =
    [
        ("😂", "emojilaugh"), ("🤣", "emojilaugh"), ("😆", "emojilaugh"), ("😅", "emojilaugh"),
        ("😊", "emojismile"), ("🙂", "emojismile"), ("😀", "emojismile"), ("😄", "emojismile"), ("😁", "emojismile"), (":-)", "emojismile"), (":)", "emojismile"),
        ("👍", "emojithumbsup"), ("👌", "emojithumbsup"), ("👎", "emojithumbsdown"),
        ("❤️", "emojiheart"), ("❤", "emojiheart"), ("♥", "emojiheart"), ("😍", "emojiheart"), ("🥰", "emojiheart"),
        ("🙏", "emojithanks"),
        ("😡", "emojiangry"), ("😠", "emojiangry"), ("🤬", "emojiangry"), ("😤", "emojiangry"),
        ("🙄", "emojieyeroll"), ("😒", "emojieyeroll"),
        ("😞", "emojisad"), ("😢", "emojisad"), (":-(", "emojisad"), (":(", "emojisad"),
    ];

    private static readonly HashSet<string> ClauseMarkers = new(StringComparer.Ordinal) { "but", "however" };

    /// <summary>The normalized text the model is trained on and scores: the same folding as the lexicon, punctuation kept.</summary>
    public static string Normalize(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var mapped = MapSymbols(text);
        var builder = new StringBuilder(mapped.Length);
        var lastWasSpace = true;
        for (var i = 0; i < mapped.Length; i++)
        {
            var c = mapped[i];
            if (c == '\'')
            {
                continue;
            }

            if (char.IsWhiteSpace(c))
            {
                if (!lastWasSpace)
                {
                    builder.Append(' ');
                    lastWasSpace = true;
                }

                continue;
            }

            builder.Append(char.ToLowerInvariant(c));
            lastWasSpace = false;
        }

        return builder.ToString().TrimEnd();
    }

    /// <summary>Splits a follow-up into tokens, punctuation segments and but-clauses.</summary>
    public static TokenizedFollowup Tokenize(string text)
    {
        var normalized = Normalize(text);
        var tokens = new List<Token>();
        var segmentQuestion = new List<bool>();
        var segment = 0;
        var clause = 0;
        var word = new StringBuilder();

        void FlushWord()
        {
            if (word.Length == 0)
            {
                return;
            }

            var value = word.ToString();
            word.Clear();
            if (ClauseMarkers.Contains(value))
            {
                // A clause marker only counts when something came before it ("but why?" opens a new clause too).
                if (tokens.Count > 0)
                {
                    clause++;
                }

                return;
            }

            tokens.Add(new Token(value, segment, clause));
        }

        void EndSegment(bool question)
        {
            FlushWord();
            var hasTokens = tokens.Count > 0 && tokens[^1].Segment == segment;
            if (!hasTokens)
            {
                // Punctuation with no words since the last break: a "?" still marks the segment before as a question.
                if (question && segmentQuestion.Count > 0)
                {
                    segmentQuestion[^1] = true;
                }

                return;
            }

            segmentQuestion.Add(question);
            segment++;
        }

        foreach (var c in normalized)
        {
            if (char.IsLetterOrDigit(c))
            {
                word.Append(c);
            }
            else if (c is ',' or '.' or ';' or ':' or '!' or '?' or '—' or '–' or '…' or '(' or ')' or '"')
            {
                EndSegment(c == '?');
            }
            else
            {
                FlushWord();
            }
        }

        EndSegment(false);
        return new TokenizedFollowup(tokens, segmentQuestion, clause + 1);
    }

    private static string MapSymbols(string text)
    {
        var builder = new StringBuilder(text);
        builder.Replace('’', '\'').Replace('‘', '\'').Replace('`', '\'').Replace('´', '\'');
        builder.Replace("tl;dr", "tldr").Replace("TL;DR", "tldr").Replace("Tl;dr", "tldr");
        foreach (var (symbol, word) in Emoji)
        {
            builder.Replace(symbol, $" {word} ");
        }

        return builder.ToString();
    }
}
