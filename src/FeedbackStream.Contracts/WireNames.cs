using System.Text;

namespace FeedbackStream.Contracts;

/// <summary>Wire names of <see cref="Reaction"/> and <see cref="ActionKind"/> values (the strings the schemas enumerate).</summary>
public static class WireNames
{
    // Index == (int)enum value; the enums are declared in the same order.
    private static readonly string[] ReactionNameArray = ["love", "like", "laugh", "wow", "sad", "angry", "dislike"];
    private static readonly string[] ActionNameArray = ["copy", "share", "regenerate", "edit", "stop", "report"];

    internal static readonly byte[][] ReactionUtf8 = ToUtf8(ReactionNameArray);
    internal static readonly byte[][] ActionUtf8 = ToUtf8(ActionNameArray);
    internal static readonly string ReactionList = string.Join(", ", ReactionNameArray);
    internal static readonly string ActionList = string.Join(", ", ActionNameArray);

    /// <summary>Reaction wire names, indexed by <see cref="Reaction"/> value.</summary>
    public static IReadOnlyList<string> Reactions { get; } = Array.AsReadOnly(ReactionNameArray);

    /// <summary>Action wire names, indexed by <see cref="ActionKind"/> value.</summary>
    public static IReadOnlyList<string> Actions { get; } = Array.AsReadOnly(ActionNameArray);

    /// <summary>The wire name of <paramref name="value"/>, e.g. <c>love</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined member.</exception>
    public static string ToWireName(this Reaction value) =>
        (uint)value < (uint)ReactionNameArray.Length
            ? ReactionNameArray[(int)value]
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Not a defined reaction.");

    /// <summary>The wire name of <paramref name="value"/>, e.g. <c>copy</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The value is not a defined member.</exception>
    public static string ToWireName(this ActionKind value) =>
        (uint)value < (uint)ActionNameArray.Length
            ? ActionNameArray[(int)value]
            : throw new ArgumentOutOfRangeException(nameof(value), value, "Not a defined action.");

    /// <summary>Parses an exact (case-sensitive) reaction wire name.</summary>
    public static bool TryParseReaction(string? name, out Reaction value)
    {
        var index = Array.IndexOf(ReactionNameArray, name);
        value = (Reaction)Math.Max(index, 0);
        return index >= 0;
    }

    /// <summary>Parses an exact (case-sensitive) action wire name.</summary>
    public static bool TryParseAction(string? name, out ActionKind value)
    {
        var index = Array.IndexOf(ActionNameArray, name);
        value = (ActionKind)Math.Max(index, 0);
        return index >= 0;
    }

    private static byte[][] ToUtf8(string[] names) => Array.ConvertAll(names, Encoding.UTF8.GetBytes);
}
