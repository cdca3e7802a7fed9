namespace FeedbackStream.Replay.Tests;

/// <summary>
/// Two small made-up conversation trees, written in both OASST shapes. Tree t1: a prompt (p0) with two ranked
/// assistant replies (a2 written before a1, a2 ranked best); the asker thanked a1 (p1), which got a reply of its own (a3).
/// Tree t2: a prompt (q0) with one unrated reply (b1).
/// </summary>
internal static class Fixtures
{
    public const string Flat =
        """
        {"message_id": "p0", "parent_id": null, "user_id": "u-alice", "created_date": "2024-01-01T10:00:00+00:00", "text": "How do I boil an egg?", "role": "prompter", "lang": "en", "rank": null, "message_tree_id": "t1", "emojis": {"name": ["+1"], "count": [2]}, "labels": {"name": ["quality"], "value": [0.9], "count": [3]}}
        {"message_id": "a1", "parent_id": "p0", "user_id": "u-helper1", "created_date": "2024-01-01T10:05:00+00:00", "text": "Put it in boiling water for nine minutes.", "role": "assistant", "lang": "en", "rank": 1, "message_tree_id": "t1", "emojis": {"name": ["+1", "-1", "_skip_reply"], "count": [1, 2, 1]}, "labels": null}
        {"message_id": "a2", "parent_id": "p0", "user_id": "u-helper2", "created_date": "2024-01-01T10:02:00+00:00", "text": "Boil water, lower the egg in gently, wait seven to nine minutes, then cool it in cold water.", "role": "assistant", "lang": "en", "rank": 0, "message_tree_id": "t1", "emojis": {"name": ["+1", "red_flag"], "count": [3, 1]}}

        {"message_id": "p1", "parent_id": "a1", "user_id": "u-alice", "created_date": "2024-01-01T10:20:00+00:00", "text": "Thanks, that worked!", "role": "prompter", "lang": "en", "rank": null, "message_tree_id": "t1", "emojis": null}
        {"message_id": "a3", "parent_id": "p1", "user_id": "u-helper1", "created_date": "2024-01-01T10:25:00+00:00", "text": "Glad to help.", "role": "assistant", "lang": "en", "rank": null, "message_tree_id": "t1"}
        {"message_id": "q0", "parent_id": null, "user_id": "u-carol", "created_date": "2024-01-02T08:00:00+00:00", "text": "Name a prime number.", "role": "prompter", "lang": "en", "message_tree_id": "t2"}
        {"message_id": "b1", "parent_id": "q0", "user_id": "u-helper2", "created_date": "2024-01-02T08:01:00+00:00", "text": "Seven.", "role": "assistant", "lang": "en", "message_tree_id": "t2", "emojis": {"name": [], "count": []}}
        """;

    /// <summary>The same trees nested: t1 as a root message with replies (children without parent_id and tree id), t2 as a tree object with a prompt.</summary>
    public const string Nested =
        """
        {"message_id": "p0", "user_id": "u-alice", "created_date": "2024-01-01T10:00:00+00:00", "text": "How do I boil an egg?", "role": "prompter", "lang": "en", "message_tree_id": "t1", "emojis": {"name": ["+1"], "count": [2]}, "replies": [{"message_id": "a1", "user_id": "u-helper1", "created_date": "2024-01-01T10:05:00+00:00", "text": "Put it in boiling water for nine minutes.", "role": "assistant", "lang": "en", "rank": 1, "emojis": {"name": ["+1", "-1", "_skip_reply"], "count": [1, 2, 1]}, "replies": [{"message_id": "p1", "user_id": "u-alice", "created_date": "2024-01-01T10:20:00+00:00", "text": "Thanks, that worked!", "role": "prompter", "lang": "en", "replies": [{"message_id": "a3", "user_id": "u-helper1", "created_date": "2024-01-01T10:25:00+00:00", "text": "Glad to help.", "role": "assistant", "lang": "en", "replies": []}]}]}, {"message_id": "a2", "parent_id": "p0", "user_id": "u-helper2", "created_date": "2024-01-01T10:02:00+00:00", "text": "Boil water, lower the egg in gently, wait seven to nine minutes, then cool it in cold water.", "role": "assistant", "lang": "en", "rank": 0, "emojis": {"name": ["+1", "red_flag"], "count": [3, 1]}}]}
        {"message_tree_id": "t2", "tree_state": "ready_for_export", "prompt": {"message_id": "q0", "user_id": "u-carol", "created_date": "2024-01-02T08:00:00+00:00", "text": "Name a prime number.", "role": "prompter", "lang": "en", "replies": [{"message_id": "b1", "user_id": "u-helper2", "created_date": "2024-01-02T08:01:00+00:00", "text": "Seven.", "role": "assistant", "lang": "en"}]}}
        """;

    public static OasstCorpus Corpus(string text) => new(OasstReader.Read(new StringReader(text)));

    /// <summary>The real oasst1 validation file, or null with the reason it is absent.</summary>
    public static string? RealFile(out string reason)
    {
        const string Relative = "oasst1-en-validation/en-validation.jsonl";
        var dataDir = Environment.GetEnvironmentVariable("FEEDBACKSTREAM_DATA_DIR");
        string? candidate = null;
        if (!string.IsNullOrWhiteSpace(dataDir))
        {
            candidate = Path.Combine(dataDir, Relative);
        }
        else
        {
            for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
            {
                if (File.Exists(Path.Combine(directory.FullName, "FeedbackStream.sln")))
                {
                    candidate = Path.GetFullPath(Path.Combine(directory.FullName, "..", "shared", "data", Relative));
                    break;
                }
            }
        }

        reason = $"oasst1 data not found at '{candidate ?? "(no candidate)"}' (../shared/data/{Relative} beside the repository root, or set FEEDBACKSTREAM_DATA_DIR); "
            + "the test reads it at run time and never copies it into the repository.";
        return candidate is not null && File.Exists(candidate) ? candidate : null;
    }
}
