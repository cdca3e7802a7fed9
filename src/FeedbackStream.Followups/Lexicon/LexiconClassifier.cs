using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Lexicon;

/// <summary>One phrase the lexicon found, after the rules adjusted it.</summary>
/// <param name="Phrase">The table entry.</param>
/// <param name="Kind">The kind it counts for (differs from the entry's kind when negated or sarcastic).</param>
/// <param name="Weight">The weight it contributes after negation and the but-clause rule.</param>
/// <param name="Note">The rule that changed it, or empty.</param>
/// <param name="Clause">The but-clause it stands in.</param>
internal sealed record LexiconMatch(LexiconPhrase Phrase, string Kind, double Weight, string Note, int Clause = 0);

/// <summary>Everything the lexicon computed for one utterance, for tests and evidence.</summary>
internal sealed record LexiconAnalysis(
    IReadOnlyList<LexiconMatch> Matches,
    bool IsQuestion,
    double SatScore,
    double DsatScore,
    double NeutralScore,
    FollowupClassification Classification);

/// <summary>
/// The transparent rule classifier. Each matched phrase adds its weight to its polarity's score; the neutral score
/// starts at a prior and grows with question form and request cues; probabilities are the softmax of the three scores.
/// Rules, in order:
/// <list type="number">
/// <item>Longest phrase wins at each position; phrases never cross punctuation or a but/however.</item>
/// <item>Negation: a negator (not, never, dont, ...) up to three words before a phrase, in the same segment, turns a
/// SAT phrase into <c>negative_feedback</c> at its full weight ("not helpful") and cancels a DSAT phrase, leaving a
/// mild <c>acknowledgment</c> at 0.4 ("nothing wrong with it"). Fixed negated phrases ("not bad at all") are entries of their own.</item>
/// <item>But-clauses: with "but"/"however", every clause before the last counts at 0.35: the clause after "but" dominates
/// ("thanks, but that's wrong" is DSAT).</item>
/// <item>Sarcasm: a final lone "not" ("very helpful... not") turns all SAT phrases into <c>negative_feedback</c>.</item>
/// <item>Correction: a later segment "not X" of up to three words with no phrase in it ("for Thursday, not Tuesday") is
/// <c>factual_error</c> evidence.</item>
/// <item>Question: when the last clause is a question (question mark, or an interrogative opening) the neutral score gains 0.7;
/// each request cue (can you, how about, ...) gains 0.3, at most two.</item>
/// </list>
/// Calibration, roughly: weights are log-odds-like and divided by <see cref="Temperature"/> before the softmax; with no
/// evidence P(neutral) ≈ 0.68; one decisive phrase (2.5) against the bare prior gives ≈ 0.87 to its polarity.
/// <c>eval followups</c> prints the expected calibration error on held-out data.
/// </summary>
public sealed class LexiconClassifier : IFollowupClassifier
{
    public const double NeutralPrior = 1.0;
    public const double QuestionBonus = 0.7;
    public const double EarlierClauseFactor = 0.35;
    public const double NegatedSatFactor = 1.0;
    public const double NegatedDsatFactor = 0.4;
    public const double CorrectionWeight = 2.0;
    public const int MaxNeutralCues = 2;

    /// <summary>
    /// Softmax temperature. The log loss on the seed training part is lowest near 0.5, but that part was read while the
    /// phrase table was written (so it flatters the lexicon); 0.7 is the rounded-up compromise.
    /// </summary>
    public const double Temperature = 0.7;

    private static readonly HashSet<string> Interrogatives = new(StringComparer.Ordinal)
    {
        "what", "whats", "how", "hows", "why", "whys", "when", "where", "wheres", "who", "whos", "whom", "whose", "which",
    };

    private static readonly HashSet<string> Auxiliaries = new(StringComparer.Ordinal)
    {
        "can", "could", "would", "will", "is", "are", "do", "does", "did", "should", "shall", "may", "was", "were", "have", "has",
    };

    private static readonly HashSet<string> Subjects = new(StringComparer.Ordinal)
    {
        "you", "i", "it", "we", "they", "there", "that", "this", "he", "she", "me", "these", "those", "the", "a", "an", "my", "your",
    };

    private readonly Dictionary<string, List<LexiconPhrase>> _byFirstWord = new(StringComparer.Ordinal);
    private readonly List<LexiconPhrase> _wildcardFirst = [];

    /// <summary>A classifier over the built-in phrase table.</summary>
    public LexiconClassifier()
        : this(null)
    {
    }

    /// <summary>
    /// A classifier over the table phrases <paramref name="keep"/> accepts (all when null); the rules stay. Used by
    /// cross-validation to take out the phrases only the scored fold needs, as if the table had been written without it.
    /// </summary>
    internal LexiconClassifier(Func<LexiconPhrase, bool>? keep)
    {
        foreach (var phrase in FollowupLexicon.Phrases.Where(p => keep?.Invoke(p) ?? true))
        {
            var first = phrase.Words[0];
            if (first.EndsWith('*'))
            {
                _wildcardFirst.Add(phrase);
                continue;
            }

            if (!_byFirstWord.TryGetValue(first, out var list))
            {
                _byFirstWord[first] = list = [];
            }

            list.Add(phrase);
        }
    }

    /// <summary>A shared instance (the classifier holds no mutable state).</summary>
    public static LexiconClassifier Default { get; } = new();

    public FollowupClassification Classify(string utterance) => Analyze(utterance).Classification;

    internal LexiconAnalysis Analyze(string utterance)
    {
        ArgumentNullException.ThrowIfNull(utterance);
        var text = FollowupText.Tokenize(utterance);
        var tokens = text.Tokens;
        var lastClause = text.ClauseCount - 1;
        var isShort = tokens.Count <= FollowupLexicon.ShortUtteranceWords;
        var matches = new List<LexiconMatch>();
        var evidence = new List<string>();
        var segmentsWithMatch = new HashSet<int>();

        var sarcasticNot = tokens.Count > 1 && tokens[^1].Value == "not" && (tokens.Count == 1 || tokens[^2].Segment != tokens[^1].Segment);
        var consumed = new bool[tokens.Count];
        var consumedByRequest = new bool[tokens.Count];
        var targetedSegments = new HashSet<int>();

        for (var i = 0; i < tokens.Count;)
        {
            var phrase = LongestMatch(text, i, isShort);
            if (phrase is null)
            {
                i++;
                continue;
            }

            for (var k = i; k < i + phrase.Words.Count; k++)
            {
                consumed[k] = true;
                consumedByRequest[k] = RequestKinds.Contains(phrase.Kind);
            }

            // A later phrase of a segment already found to be about the answer shares its subject ("this is shorter and worse").
            var targeted = !phrase.NeedsTarget
                || targetedSegments.Contains(tokens[i].Segment)
                || TargetsTheAnswer(tokens, i, phrase.Words.Count, phrase.Kind, consumedByRequest)
                || (RequestKinds.Contains(phrase.Kind) && IsContrastAfterSat(text, i, matches));
            if (phrase.NeedsTarget && targeted)
            {
                targetedSegments.Add(tokens[i].Segment);
            }

            if (!targeted)
            {
                // "that film was dumb", "I don't like thrillers", "The Missing Sock": about the topic, not the answer.
                evidence.Add($"'{phrase.Text}' not counted: its sentence is not about the answer");
                i += phrase.Words.Count;
                continue;
            }

            var clauseFactor = text.ClauseCount > 1 && tokens[i].Clause < lastClause ? EarlierClauseFactor : 1.0;
            var kind = phrase.Kind;
            var weight = phrase.Weight;
            var notes = new List<string>();
            if (kind != FollowupKinds.Neutral && !phrase.ShortOnly && IsNegated(tokens, consumed, i))
            {
                if (NegationCancels.Contains(kind))
                {
                    // Declining to act or to share ("I don't want to book it yet") is not a complaint about the answer.
                    kind = FollowupKinds.Neutral;
                    weight = 0;
                }
                else if (FollowupKinds.PolarityOf(kind) == Polarity.Sat)
                {
                    kind = FollowupKinds.NegativeFeedback;
                    weight *= NegatedSatFactor;
                }
                else
                {
                    kind = FollowupKinds.Acknowledgment;
                    weight *= NegatedDsatFactor;
                }

                notes.Add($"negated, counts as {kind}");
            }
            else if (sarcasticNot && kind != FollowupKinds.Neutral && FollowupKinds.PolarityOf(kind) == Polarity.Sat)
            {
                kind = FollowupKinds.NegativeFeedback;
                notes.Add("sarcastic trailing 'not', counts as negative_feedback");
            }

            if (clauseFactor < 1.0)
            {
                weight *= clauseFactor;
                notes.Add($"before 'but' x{EarlierClauseFactor}");
            }

            matches.Add(new LexiconMatch(phrase, kind, weight, string.Join("; ", notes), tokens[i].Clause));
            segmentsWithMatch.Add(tokens[i].Segment);
            i += phrase.Words.Count;
        }

        AddCorrections(text, segmentsWithMatch, lastClause, matches);
        AddRepetitionsAndDetails(text, matches);
        KeepRequestsBeforeAnEmptyBut(lastClause, matches);

        var isQuestion = IsQuestion(text, lastClause);
        double sat = 0, dsat = 0, neutral = NeutralPrior;
        var cues = 0;
        foreach (var match in matches)
        {
            if (match.Kind == FollowupKinds.Neutral)
            {
                if (match.Weight <= 0)
                {
                    evidence.Add($"'{match.Phrase.Text}' not counted ({match.Note})");
                    continue;
                }

                if (cues < MaxNeutralCues)
                {
                    cues++;
                    neutral += match.Weight;
                    evidence.Add($"request cue '{match.Phrase.Text}' +{match.Weight:0.##}");
                }

                continue;
            }

            if (FollowupKinds.PolarityOf(match.Kind) == Polarity.Sat)
            {
                sat += match.Weight;
            }
            else
            {
                dsat += match.Weight;
            }

            var note = match.Note.Length > 0 ? $" ({match.Note})" : string.Empty;
            evidence.Add($"{match.Phrase.Kind} '{match.Phrase.Text}' +{match.Weight:0.##}{note}");
        }

        if (isQuestion)
        {
            neutral += QuestionBonus;
            evidence.Add($"question +{QuestionBonus:0.##}");
        }

        var (pSat, pDsat, pNeutral) = Softmax(sat / Temperature, dsat / Temperature, neutral / Temperature);
        var polarity = pSat > pDsat && pSat > pNeutral ? Polarity.Sat : pDsat > pNeutral && pDsat >= pSat ? Polarity.Dsat : Polarity.Neutral;
        var kindChosen = polarity == Polarity.Neutral ? FollowupKinds.Neutral : StrongestKind(matches, polarity);
        var classification = new FollowupClassification(polarity, kindChosen, pSat, pDsat, pNeutral, FollowupClassification.LexiconMethod, evidence);
        return new LexiconAnalysis(matches, isQuestion, sat, dsat, neutral, classification);
    }

    /// <summary>Number of values <see cref="Features"/> returns.</summary>
    internal static int FeatureCount => FollowupKinds.All.Count + 4;

    /// <summary>
    /// The lexicon's view of an utterance as numbers, for the model: per kind (in <see cref="FollowupKinds.All"/> order,
    /// neutral = request cues) the summed rule-adjusted weight, then the question flag and the three probabilities.
    /// </summary>
    internal float[] Features(string utterance)
    {
        var analysis = Analyze(utterance);
        var features = new float[FeatureCount];
        foreach (var match in analysis.Matches)
        {
            var index = IndexOfKind(match.Kind);
            features[index] += (float)match.Weight;
        }

        var kinds = FollowupKinds.All.Count;
        features[kinds] = analysis.IsQuestion ? 1f : 0f;
        features[kinds + 1] = (float)analysis.Classification.PSat;
        features[kinds + 2] = (float)analysis.Classification.PDsat;
        features[kinds + 3] = (float)analysis.Classification.PNeutral;
        return features;
    }

    private static int IndexOfKind(string kind)
    {
        for (var i = 0; i < FollowupKinds.All.Count; i++)
        {
            if (FollowupKinds.All[i] == kind)
            {
                return i;
            }
        }

        throw new ArgumentException($"Unknown kind '{kind}'.", nameof(kind));
    }

    internal static (double Sat, double Dsat, double Neutral) Softmax(double sat, double dsat, double neutral)
    {
        var max = Math.Max(sat, Math.Max(dsat, neutral));
        var eSat = Math.Exp(sat - max);
        var eDsat = Math.Exp(dsat - max);
        var eNeutral = Math.Exp(neutral - max);
        var sum = eSat + eDsat + eNeutral;
        return (eSat / sum, eDsat / sum, eNeutral / sum);
    }

    private static string StrongestKind(List<LexiconMatch> matches, Polarity polarity)
    {
        var best = FollowupKinds.Neutral;
        var bestWeight = double.NegativeInfinity;
        foreach (var kind in polarity == Polarity.Sat ? FollowupKinds.Sat : FollowupKinds.Dsat)
        {
            var total = 0.0;
            var any = false;
            foreach (var match in matches)
            {
                if (match.Kind == kind)
                {
                    total += match.Weight;
                    any = true;
                }
            }

            if (any && total > bestWeight)
            {
                best = kind;
                bestWeight = total;
            }
        }

        return best;
    }

    private LexiconPhrase? LongestMatch(TokenizedFollowup text, int start, bool isShort)
    {
        LexiconPhrase? best = null;
        var first = text.Tokens[start].Value;
        if (_byFirstWord.TryGetValue(first, out var candidates))
        {
            best = Better(best, candidates, text, start, isShort);
        }

        return Better(best, _wildcardFirst, text, start, isShort);
    }

    private static LexiconPhrase? Better(LexiconPhrase? best, List<LexiconPhrase> candidates, TokenizedFollowup text, int start, bool isShort)
    {
        foreach (var phrase in candidates)
        {
            if ((phrase.ShortOnly && !isShort) || (phrase.WholeOnly && phrase.Words.Count != text.Tokens.Count) || !Matches(phrase, text, start))
            {
                continue;
            }

            if (best is null || phrase.Words.Count > best.Words.Count || (phrase.Words.Count == best.Words.Count && phrase.Weight > best.Weight))
            {
                best = phrase;
            }
        }

        return best;
    }

    private static bool Matches(LexiconPhrase phrase, TokenizedFollowup text, int start)
    {
        var tokens = text.Tokens;
        if (start + phrase.Words.Count > tokens.Count)
        {
            return false;
        }

        var anchor = tokens[start];
        for (var j = 0; j < phrase.Words.Count; j++)
        {
            var token = tokens[start + j];
            if (token.Segment != anchor.Segment || token.Clause != anchor.Clause)
            {
                return false;
            }

            var word = phrase.Words[j];
            var ok = word.EndsWith('*') ? token.Value.StartsWith(word.AsSpan(0, word.Length - 1), StringComparison.Ordinal) : token.Value == word;
            if (!ok)
            {
                return false;
            }
        }

        return !phrase.QuestionOnly || text.SegmentEndsWithQuestionMark[anchor.Segment];
    }

    /// <summary>
    /// Whether the phrase at <paramref name="start"/> (<paramref name="length"/> words, of <paramref name="kind"/>) is
    /// said about the answer. Its segment (punctuation-delimited) must address the assistant (you, your), name the answer
    /// (answer, list, code, ...), point at it with a bare deictic as subject or as the phrase's object ("that's dumb",
    /// "it got worse", "I don't like that"; not the determiner of "that film"), open with a definite subject ("the tone
    /// is too salesy"), or be an interjection (nothing but the phrase and filler words: "Terrible.", "So dumb!"). A
    /// request-like kind (revision, style, detail, ...) also counts when the phrase opens its segment, as an imperative
    /// or an elliptic complaint does ("Simplify the language", "Much worse than before").
    /// </summary>
    internal static bool TargetsTheAnswer(IReadOnlyList<Token> tokens, int start, int length, string kind, IReadOnlyList<bool>? consumedByRequest = null)
    {
        var segment = tokens[start].Segment;
        var onlyFillers = true;
        var opensSegment = true;
        var subjectPosition = true;
        var position = 0;
        var wordsAfter = 0;
        var firstWord = (string?)null;
        for (var k = 0; k < tokens.Count; k++)
        {
            var token = tokens[k];
            if (token.Segment != segment)
            {
                continue;
            }

            var inPhrase = k >= start && k < start + length;
            var value = token.Value;
            firstWord ??= value;
            var next = k + 1 < tokens.Count && tokens[k + 1].Segment == segment ? tokens[k + 1].Value : null;
            if (!inPhrase && (FollowupLexicon.SecondPerson.Contains(value) || AnswerNouns.Contains(value)))
            {
                return true;
            }

            // A deictic is bare when a function word or the phrase itself follows it ("is this shorter"), not a noun ("that film").
            var bare = value is "thats" or "its" or "it" || next is null || FunctionWords.Contains(next) || k + 1 == start;
            if (!inPhrase && Deictics.Contains(value) && bare && (position < 2 || (k < start && subjectPosition) || (k >= start + length && k <= start + length + 2)))
            {
                return true;
            }

            // Words an earlier request phrase took still leave this phrase opening its segment ("not so many exclamation marks").
            var tookenByRequest = consumedByRequest is not null && k < consumedByRequest.Count && consumedByRequest[k];
            if (k < start && !Fillers.Contains(value) && !OpeningFillers.Contains(value) && !tookenByRequest)
            {
                opensSegment = false;
            }

            if (k < start && !Interrogatives.Contains(value) && !Auxiliaries.Contains(value) && !OpeningFillers.Contains(value))
            {
                subjectPosition = false;
            }

            if (k >= start + length)
            {
                wordsAfter++;
            }

            if (!inPhrase && !Fillers.Contains(value))
            {
                onlyFillers = false;
            }

            position++;
        }

        // A verbless exclamation of the phrase and one noun judges what was just handed over ("Nice twist!", "Terrible advice.").
        return onlyFillers
            || (opensSegment && RequestKinds.Contains(kind))
            || (opensSegment && length == 1 && wordsAfter == 1)
            || (firstWord is not null && DefiniteOpeners.Contains(firstWord) && tokens[start].Value != firstWord);
    }

    /// <summary>
    /// True when the phrase at <paramref name="start"/> sits in a clause after "but"/"however" and an earlier clause
    /// already holds SAT evidence: the contrast is with the answer just praised or thanked for ("Thanks, but I need more
    /// examples"), so the request is about the answer.
    /// </summary>
    private static bool IsContrastAfterSat(TokenizedFollowup text, int start, List<LexiconMatch> matches)
    {
        var clause = text.Tokens[start].Clause;
        return clause > 0 && matches.Any(m => m.Weight > 0 && m.Kind != FollowupKinds.Neutral && FollowupKinds.PolarityOf(m.Kind) == Polarity.Sat && m.Clause < clause);
    }

    /// <summary>
    /// Determiners that, opening a segment, make its subject something already on the table, i.e. usually the answer's
    /// content ("the tone is too salesy", "these recipes look amazing"). "That" is left out: "that film was dumb" points
    /// back at the topic as often as at the answer.
    /// </summary>
    private static readonly HashSet<string> DefiniteOpeners = new(StringComparer.Ordinal) { "the", "these", "those", "this" };

    /// <summary>Kinds whose phrases, opening a segment, are requests or complaints about the answer.</summary>
    private static readonly HashSet<string> RequestKinds = new(StringComparer.Ordinal)
    {
        FollowupKinds.RevisionRequest, FollowupKinds.Style, FollowupKinds.InsufficientDetail, FollowupKinds.LowerQuality,
        FollowupKinds.Ignored, FollowupKinds.UnrealisticExpectation, FollowupKinds.NoEngagement, FollowupKinds.GettingThere,
    };

    /// <summary>Words that may precede a phrase that still opens its segment ("way too long", "not so many", "please simplify").</summary>
    private static readonly HashSet<string> OpeningFillers = new(StringComparer.Ordinal) { "not", "way", "less", "please", "also", "and", "now", "then", "even", "far" };

    /// <summary>Words that name what an assistant hands back.</summary>
    private static readonly HashSet<string> AnswerNouns = new(StringComparer.Ordinal)
    {
        "answer", "answers", "response", "responses", "reply", "replies", "explanation", "explanations", "suggestion",
        "suggestions", "recommendation", "recommendations", "advice", "list", "code", "example", "examples", "summary",
        "translation", "version", "output", "result", "results", "solution", "info", "information", "instructions",
        "steps", "calculation", "message", "paragraph", "sentence", "link", "links", "source", "sources", "draft", "wording",
        "script", "essay", "poem", "email", "letter",
    };

    private static readonly HashSet<string> Deictics = new(StringComparer.Ordinal) { "thats", "its", "it", "this", "that", "these", "those" };

    /// <summary>After "this"/"that", a word of this set leaves the deictic bare ("that is", "that one"); any other word makes it a determiner ("that film").</summary>
    private static readonly HashSet<string> FunctionWords = new(StringComparer.Ordinal)
    {
        "is", "was", "s", "are", "were", "isnt", "wasnt", "arent", "werent", "doesnt", "does", "didnt", "did", "dont", "do",
        "sounds", "seems", "looks", "feels", "reads", "just", "really", "still", "so", "very", "too", "makes", "made", "not",
        "at", "all", "one", "part", "bit", "either", "anymore", "though", "again", "please", "would", "will", "wont", "cant",
        "can", "could", "should", "has", "hasnt", "had", "have", "be", "been", "is", "of", "for", "to", "in", "on", "and", "or",
        "because", "since", "as", "lol", "haha",
    };

    /// <summary>Words an interjection may carry besides its phrase ("oh wow, so so bad").</summary>
    private static readonly HashSet<string> Fillers = new(StringComparer.Ordinal)
    {
        "so", "very", "really", "just", "totally", "completely", "too", "pretty", "quite", "kinda", "oh", "wow", "ugh", "well",
        "ok", "okay", "no", "nope", "yes", "yeah", "yep", "lol", "hmm", "um", "umm", "uh", "ah", "absolutely", "truly", "super",
        "still", "sooo", "soo", "a", "an", "the", "bit", "little", "how", "what", "such", "thats", "that", "this", "its", "it",
        "is", "was", "seriously", "honestly", "literally", "man", "dude", "omg", "hm", "ahh", "oops", "ouch", "meh", "sorry",
        "emojiangry", "emojisad", "emojieyeroll", "emojithumbsdown", "emojithumbsup", "emojiheart", "emojismile", "emojilaugh",
        "one", "job", "work", "catch", "idea", "ideas", "stuff", "call", "thinking", "point", "content", "effort", "attempt",
        "written", "explained", "put", "done", "said", "way", "far", "hah", "haha", "much",
    };

    /// <summary>Kinds whose negation is a refusal or a plain statement, not dissatisfaction: the phrase is cancelled.</summary>
    private static readonly HashSet<string> NegationCancels = new(StringComparer.Ordinal)
    {
        FollowupKinds.Compliance, FollowupKinds.PersonalDetails, FollowupKinds.Humor, FollowupKinds.PositiveClosure,
    };

    private static bool IsNegated(IReadOnlyList<Token> tokens, bool[] consumed, int start)
    {
        var anchor = tokens[start];
        for (var k = start - 1; k >= 0 && k >= start - FollowupLexicon.NegationWindow; k--)
        {
            if (tokens[k].Segment != anchor.Segment || tokens[k].Clause != anchor.Clause)
            {
                return false;
            }

            // A negator inside an earlier phrase belongs to it ("not now, thank you": "not" is part of "not now").
            if (consumed[k])
            {
                return false;
            }

            if (FollowupLexicon.Negators.Contains(tokens[k].Value))
            {
                return true;
            }
        }

        return false;
    }

    private static void AddCorrections(TokenizedFollowup text, HashSet<int> segmentsWithMatch, int lastClause, List<LexiconMatch> matches)
    {
        var tokens = text.Tokens;
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            var opensSegment = i == 0 || tokens[i - 1].Segment != token.Segment;
            if (!opensSegment || token.Segment == 0 || token.Value != "not" || segmentsWithMatch.Contains(token.Segment))
            {
                continue;
            }

            var length = tokens.Skip(i).TakeWhile(t => t.Segment == token.Segment).Count();
            if (length is < 2 or > 4 || NotCorrections.Contains(tokens[i + 1].Value) || NotCorrections.Contains(tokens[i + length - 1].Value))
            {
                continue;
            }

            var phrase = new LexiconPhrase(string.Join(' ', tokens.Skip(i).Take(length).Select(t => t.Value)), [], FollowupKinds.FactualError, CorrectionWeight, false, false);
            var weight = text.ClauseCount > 1 && token.Clause < lastClause ? CorrectionWeight * EarlierClauseFactor : CorrectionWeight;
            matches.Add(new LexiconMatch(phrase, FollowupKinds.FactualError, weight, "correction 'X, not Y'", token.Clause));
        }
    }

    /// <summary>
    /// "Try again but make the villain more believable": when the clause after "but" holds no SAT or DSAT evidence, the
    /// "but" narrows a request instead of contrasting it, so an earlier request phrase keeps its full weight.
    /// </summary>
    private static void KeepRequestsBeforeAnEmptyBut(int lastClause, List<LexiconMatch> matches)
    {
        if (lastClause == 0 || matches.Any(m => m.Clause == lastClause && m.Kind != FollowupKinds.Neutral && m.Weight > 0))
        {
            return;
        }

        for (var i = 0; i < matches.Count; i++)
        {
            var match = matches[i];
            if (match.Clause < lastClause && RevisionKinds.Contains(match.Kind))
            {
                matches[i] = match with { Weight = match.Weight / EarlierClauseFactor, Note = "before a 'but' that adds only detail: full weight" };
            }
        }
    }

    /// <summary>Kinds that ask for a changed answer; a "but" after them usually adds a constraint ("shorter, but keep the jokes").</summary>
    private static readonly HashSet<string> RevisionKinds = new(StringComparer.Ordinal)
    {
        FollowupKinds.RevisionRequest, FollowupKinds.Style, FollowupKinds.InsufficientDetail,
    };

    /// <summary>A question segment of only these words nudges an assistant that has not answered ("hello? the deadline question?").</summary>
    private static readonly HashSet<string> Nudges = new(StringComparer.Ordinal) { "hello", "helloo", "hellooo", "anyone there", "anybody there", "are you there", "you there" };

    /// <summary>Words that say the user is repeating themselves when they open a question ("Again: what is the refund policy?").</summary>
    private static readonly HashSet<string> RepetitionOpeners = new(StringComparer.Ordinal) { "again", "so again", "once more" };

    /// <summary>
    /// Small pattern rules: an utterance whose first segment is only a repetition marker and whose last segment is a
    /// question repeats an unanswered request (<c>ignored</c>), as does a question segment that is only a nudge ("hello?");
    /// "I'm 34" / "I am 19" / "I turned 40" is a personal detail.
    /// </summary>
    private static void AddRepetitionsAndDetails(TokenizedFollowup text, List<LexiconMatch> matches)
    {
        var tokens = text.Tokens;
        if (tokens.Count == 0)
        {
            return;
        }

        var first = string.Join(' ', tokens.TakeWhile(t => t.Segment == 0).Select(t => t.Value));
        if (tokens[^1].Segment > 0 && RepetitionOpeners.Contains(first) && text.SegmentEndsWithQuestionMark[tokens[^1].Segment])
        {
            var phrase = new LexiconPhrase(first, [], FollowupKinds.Ignored, RepetitionWeight, false, false);
            matches.Add(new LexiconMatch(phrase, FollowupKinds.Ignored, RepetitionWeight, "repetition marker before a question", 0));
        }

        for (var segment = 0; segment < text.SegmentEndsWithQuestionMark.Count; segment++)
        {
            var words = string.Join(' ', tokens.Where(t => t.Segment == segment).Select(t => t.Value));
            if (text.SegmentEndsWithQuestionMark[segment] && Nudges.Contains(words))
            {
                var phrase = new LexiconPhrase(words + "?", [], FollowupKinds.Ignored, RepetitionWeight, false, false);
                matches.Add(new LexiconMatch(phrase, FollowupKinds.Ignored, RepetitionWeight, "a nudge: the question segment is only a call for attention", tokens.First(t => t.Segment == segment).Clause));
                break;
            }
        }

        for (var i = 1; i < tokens.Count; i++)
        {
            var value = tokens[i].Value;
            var previous = tokens[i - 1];
            if (previous.Segment == tokens[i].Segment && previous.Value is "im" or "am" or "turned" or "turning" && value.Length <= 3 && value.All(char.IsAsciiDigit))
            {
                var phrase = new LexiconPhrase($"{previous.Value} {value}", [], FollowupKinds.PersonalDetails, AgeWeight, false, false);
                matches.Add(new LexiconMatch(phrase, FollowupKinds.PersonalDetails, AgeWeight, "age", tokens[i].Clause));
                break;
            }
        }
    }

    public const double RepetitionWeight = 2.5;
    public const double AgeWeight = 1.8;

    /// <summary>"Not yet", "not really", "not brave enough": a "not" segment with these words answers or hedges; it corrects nothing.</summary>
    private static readonly HashSet<string> NotCorrections = new(StringComparer.Ordinal)
    {
        "yet", "now", "really", "sure", "exactly", "quite", "today", "anymore", "much", "always", "necessarily", "enough",
        "bad", "great", "good", "too", "so", "very", "that", "at", "me", "for", "really", "likely", "often",
    };

    /// <summary>Auxiliaries that open a question tag ("..., are you?", "..., isn't it?", "..., don't you think?").</summary>
    private static readonly HashSet<string> TagAuxiliaries = new(StringComparer.Ordinal)
    {
        "is", "are", "was", "were", "do", "does", "did", "can", "will", "would", "could", "have", "has",
        "isnt", "arent", "wasnt", "werent", "dont", "doesnt", "didnt", "cant", "wont", "wouldnt", "couldnt", "havent", "hasnt",
    };

    private static readonly HashSet<string> TagPronouns = new(StringComparer.Ordinal) { "you", "it", "i", "we", "they", "he", "she", "there", "that", "this" };

    /// <summary>
    /// A question tag after a statement ("You're not very good at this, are you?", "That's wrong, isn't it?", "..., right?")
    /// asks nothing new: the statement before it carries the follow-up, so the tag earns no question bonus.
    /// </summary>
    private static bool IsTagQuestion(IReadOnlyList<Token> tokens, int segment)
    {
        var words = tokens.Where(t => t.Segment == segment).Select(t => t.Value).ToList();
        return words.Count switch
        {
            1 => words[0] is "right" or "eh",
            2 => TagAuxiliaries.Contains(words[0]) && TagPronouns.Contains(words[1]),
            3 => TagAuxiliaries.Contains(words[0]) && (words[1] == "not" ? TagPronouns.Contains(words[2]) : TagPronouns.Contains(words[1]) && words[2] is "think" or "agree"),
            _ => false,
        };
    }

    private static bool IsQuestion(TokenizedFollowup text, int lastClause)
    {
        var tokens = text.Tokens;
        var clauseStart = true;
        // Whether a segment is a tag question is decided once per segment, not once per token of it.
        var (tagChecked, isTag) = (-1, false);
        for (var i = 0; i < tokens.Count; i++)
        {
            var token = tokens[i];
            if (token.Clause != lastClause)
            {
                continue;
            }

            if (token.Segment > 0 && token.Segment != tagChecked)
            {
                (tagChecked, isTag) = (token.Segment, IsTagQuestion(tokens, token.Segment));
            }

            if (token.Segment > 0 && isTag)
            {
                continue;
            }

            if (text.SegmentEndsWithQuestionMark[token.Segment])
            {
                return true;
            }

            var opensSegment = clauseStart || tokens[i - 1].Segment != token.Segment;
            clauseStart = false;
            if (!opensSegment)
            {
                continue;
            }

            if (Interrogatives.Contains(token.Value))
            {
                return true;
            }

            if (Auxiliaries.Contains(token.Value) && i + 1 < tokens.Count && tokens[i + 1].Segment == token.Segment && Subjects.Contains(tokens[i + 1].Value))
            {
                return true;
            }
        }

        return false;
    }
}
