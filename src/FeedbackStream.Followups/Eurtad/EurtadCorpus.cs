using System.Text.Json;
using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Eurtad;

/// <summary>One EURTAD record (fields as in the JSONL files; <c>id_original</c> is a string or a number there, kept as text).</summary>
public sealed record EurtadRecord(
    string File,
    string SourceFile,
    string IdOriginal,
    string Context,
    string Target,
    string UserReaction,
    string UserReactionType,
    string ErrorType);

/// <summary>A user turn taken from a dialogue context: it directly follows a system turn.</summary>
/// <param name="Text">The user utterance.</param>
/// <param name="PreviousSystemTurn">The system turn it answers.</param>
/// <param name="File">The JSONL file whose context held it.</param>
/// <param name="SourceFile">The record's <c>source_file</c>.</param>
public sealed record EurtadContextTurn(string Text, string PreviousSystemTurn, string File, string SourceFile);

/// <summary>
/// Reads EURTAD (UKPLab, EMNLP 2023) from its JSONL conversion in the shared data folder, never from the repository.
/// Only <c>erroneous_train.jsonl</c> carries reaction labels (<c>user_reaction_type</c>); <c>dev</c> and <c>test</c> hold
/// none, so they contribute dialogue contexts only.
/// </summary>
public sealed class EurtadCorpus
{
    public const string ErroneousTrainFile = "erroneous_train.jsonl";
    public static IReadOnlyList<string> Files { get; } = [ErroneousTrainFile, "non_erroneous_train.jsonl", "dev.jsonl", "test.jsonl"];

    /// <summary>EURTAD reaction types mapped onto WildFeedback DSAT kinds (all EURTAD reactions answer an erroneous system turn).</summary>
    public static IReadOnlyDictionary<string, string> ReactionKinds { get; } = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        // "what do you mean?": the response left the user without enough to go on.
        ["Ask for Clarification"] = FollowupKinds.InsufficientDetail,
        // The user carries on as if the turn had not happened: no engagement with it.
        ["Ignore and Continue"] = FollowupKinds.NoEngagement,
        // "that doesn't make sense": a complaint with no fix offered.
        ["Make Aware Without Correction"] = FollowupKinds.NegativeFeedback,
        // The user asks again because the request was not served: WildFeedback's "ignored".
        ["Repeat or Rephrase"] = FollowupKinds.Ignored,
        // The user states what is right ("Thursday, not Tuesday").
        ["Make Aware With Correction"] = FollowupKinds.FactualError,
    };

    private EurtadCorpus(string directory, IReadOnlyList<EurtadRecord> records)
    {
        Directory = directory;
        Records = records;
    }

    public string Directory { get; }

    public IReadOnlyList<EurtadRecord> Records { get; }

    /// <summary>True when <paramref name="directory"/> holds every EURTAD file.</summary>
    public static bool IsPresent(string? directory) =>
        directory is not null && Files.All(f => File.Exists(Path.Combine(directory, f)));

    /// <summary>Reads all four files.</summary>
    /// <exception cref="DirectoryNotFoundException">The folder or one of its files is missing.</exception>
    public static EurtadCorpus Load(string directory)
    {
        ArgumentNullException.ThrowIfNull(directory);
        if (!IsPresent(directory))
        {
            throw new DirectoryNotFoundException($"EURTAD not found in '{directory}': expected {string.Join(", ", Files)}.");
        }

        var records = new List<EurtadRecord>();
        foreach (var file in Files)
        {
            var lineNumber = 0;
            foreach (var line in File.ReadLines(Path.Combine(directory, file)))
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                try
                {
                    records.Add(ParseRecord(file, line));
                }
                catch (Exception e) when (e is JsonException or FormatException)
                {
                    throw new FormatException($"{file} line {lineNumber}: {e.Message}", e);
                }
            }
        }

        return new EurtadCorpus(directory, records);
    }

    /// <summary>Parses one line; a field of the wrong kind, or a reaction that would be dropped unseen, fails naming the field.</summary>
    /// <exception cref="FormatException">The line is not a record of the documented shape.</exception>
    internal static EurtadRecord ParseRecord(string file, string line)
    {
        using var document = JsonDocument.Parse(line);
        var root = document.RootElement;
        if (root.ValueKind != JsonValueKind.Object)
        {
            throw new FormatException($"expected a JSON object, got {root.ValueKind.ToString().ToLowerInvariant()}");
        }

        var record = new EurtadRecord(
            file,
            Text(root, "source_file"),
            Text(root, "id_original", numberAllowed: true),
            Text(root, "context"),
            Text(root, "target"),
            Text(root, "user_reaction").Trim(),
            Text(root, "user_reaction_type").Trim(),
            Text(root, "error_type").Trim());
        if (record.UserReactionType.Length > 0 && !ReactionKinds.ContainsKey(record.UserReactionType))
        {
            throw new FormatException($"user_reaction_type: unknown type '{record.UserReactionType}' (one of: {string.Join(", ", ReactionKinds.Keys)})");
        }

        if ((record.UserReaction.Length > 0) != (record.UserReactionType.Length > 0))
        {
            throw new FormatException(record.UserReaction.Length > 0
                ? "user_reaction_type: empty, but user_reaction is not (a reaction needs its type)"
                : "user_reaction: empty, but user_reaction_type is not (a reaction type needs its utterance)");
        }

        return record;
    }

    /// <summary>Records with a reaction of a known type: the labelled DSAT follow-ups.</summary>
    public IEnumerable<EurtadRecord> Reactions() =>
        Records.Where(r => r.UserReaction.Length > 0 && ReactionKinds.ContainsKey(r.UserReactionType));

    /// <summary>Every user turn that directly follows a non-empty system turn in any record's context (duplicates included).</summary>
    public IEnumerable<EurtadContextTurn> ContextTurns()
    {
        foreach (var record in Records)
        {
            var turns = SplitTurns(record.Context);
            for (var i = 1; i < turns.Count; i++)
            {
                var (speaker, text) = turns[i];
                var (previousSpeaker, previousText) = turns[i - 1];
                if (speaker == "user" && previousSpeaker == "system" && previousText.Length > 0 && text.Length > 0 && text != "<SILENCE>")
                {
                    yield return new EurtadContextTurn(text, previousText, record.File, record.SourceFile);
                }
            }
        }
    }

    /// <summary>Splits a context such as <c>&lt;user&gt; hi &lt;system&gt; hello</c> into (speaker, text) turns.</summary>
    internal static List<(string Speaker, string Text)> SplitTurns(string context)
    {
        var turns = new List<(string, string)>();
        var position = 0;
        string? speaker = null;
        var start = 0;
        while (position < context.Length)
        {
            var user = context.IndexOf("<user>", position, StringComparison.Ordinal);
            var system = context.IndexOf("<system>", position, StringComparison.Ordinal);
            var next = user < 0 ? system : system < 0 ? user : Math.Min(user, system);
            if (next < 0)
            {
                break;
            }

            if (speaker is not null)
            {
                turns.Add((speaker, context[start..next].Trim()));
            }

            speaker = next == user ? "user" : "system";
            start = next + (speaker == "user" ? "<user>".Length : "<system>".Length);
            position = start;
        }

        if (speaker is not null)
        {
            turns.Add((speaker, context[start..].Trim()));
        }

        return turns;
    }

    /// <summary>Key used to deduplicate and split utterances: the shared normalization with whitespace collapsed.</summary>
    internal static string Key(string text) => FollowupText.Normalize(text);

    private static string Text(JsonElement root, string name, bool numberAllowed = false) =>
        root.TryGetProperty(name, out var value)
            ? value.ValueKind switch
            {
                JsonValueKind.String => value.GetString() ?? string.Empty,
                JsonValueKind.Null or JsonValueKind.Undefined => string.Empty,
                JsonValueKind.Number when numberAllowed => value.GetRawText(),
                _ => throw new FormatException($"{name}: expected a string{(numberAllowed ? " or a number" : "")}, got {value.GetRawText()}"),
            }
            : string.Empty;
}
