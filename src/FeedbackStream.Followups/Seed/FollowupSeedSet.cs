using System.Reflection;
using FeedbackStream.Followups.Text;

namespace FeedbackStream.Followups.Seed;

/// <summary>
/// The project's own labelled follow-ups (<c>Seed/followups.seed.tsv</c>, embedded in this assembly): every SAT and
/// DSAT kind and neutral next requests, with hard cases tagged. Columns: polarity, kind, text, tags; <c>#</c> lines
/// are comments; the first other line is the header.
/// </summary>
public static class FollowupSeedSet
{
    /// <summary>Share of each kind held back for evaluation.</summary>
    public const double DefaultHeldOutFraction = 0.3;

    /// <summary>Salt of the split; changing it draws a different (equally valid) split.</summary>
    public const string DefaultSplitSalt = "followups-seed-v1";

    private const string ResourceName = "Seed/followups.seed.tsv";

    /// <summary>Loads the embedded seed set.</summary>
    public static IReadOnlyList<LabelledFollowup> Load()
    {
        using var stream = typeof(FollowupSeedSet).Assembly.GetManifestResourceStream(ResourceName)
            ?? throw new InvalidOperationException($"Embedded resource {ResourceName} is missing from {typeof(FollowupSeedSet).Assembly.GetName().Name}.");
        using var reader = new StreamReader(stream);
        return Parse(reader);
    }

    /// <summary>Parses seed TSV; throws <see cref="FormatException"/> naming the line on any malformed row.</summary>
    public static IReadOnlyList<LabelledFollowup> Parse(TextReader reader)
    {
        ArgumentNullException.ThrowIfNull(reader);
        var rows = new List<LabelledFollowup>();
        var header = false;
        var lineNumber = 0;
        while (reader.ReadLine() is { } line)
        {
            lineNumber++;
            if (line.Length == 0 || line.StartsWith('#'))
            {
                continue;
            }

            if (!header)
            {
                header = true;
                continue;
            }

            var fields = line.Split('\t');
            if (fields.Length is < 3 or > 4)
            {
                throw new FormatException($"Seed line {lineNumber}: expected 3 or 4 tab-separated fields, found {fields.Length}.");
            }

            var polarity = FollowupKinds.ParsePolarity(fields[0]);
            var kind = fields[1].Trim();
            if (!FollowupKinds.IsKnown(kind) || FollowupKinds.PolarityOf(kind) != polarity)
            {
                throw new FormatException($"Seed line {lineNumber}: kind '{kind}' is unknown or not a {polarity.Name()} kind.");
            }

            var text = fields[2].Trim();
            if (text.Length == 0)
            {
                throw new FormatException($"Seed line {lineNumber}: empty text.");
            }

            var tags = fields.Length == 4 ? fields[3].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) : [];
            rows.Add(new LabelledFollowup(text, polarity, kind, LabelledFollowup.SeedSource, tags));
        }

        return rows;
    }

    /// <summary>
    /// A fixed, seeded, stratified split: within each kind, rows are ordered by a stable hash of salt and normalized
    /// text, and the first <paramref name="heldOutFraction"/> (rounded, at least one) are held out. Identical texts
    /// always land on the same side; adding rows moves few others.
    /// </summary>
    public static (IReadOnlyList<LabelledFollowup> Train, IReadOnlyList<LabelledFollowup> HeldOut) Split(
        IReadOnlyList<LabelledFollowup> rows, double heldOutFraction = DefaultHeldOutFraction, string salt = DefaultSplitSalt)
    {
        ArgumentNullException.ThrowIfNull(rows);
        ArgumentOutOfRangeException.ThrowIfLessThan(heldOutFraction, 0.0);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(heldOutFraction, 1.0);
        var heldOut = new HashSet<string>(StringComparer.Ordinal);
        foreach (var group in rows.GroupBy(r => r.Kind, StringComparer.Ordinal))
        {
            var texts = group.Select(r => FollowupText.Normalize(r.Text)).Distinct(StringComparer.Ordinal)
                .OrderBy(t => StableHash.Of(salt, t)).ThenBy(t => t, StringComparer.Ordinal).ToList();
            var take = heldOutFraction == 0 ? 0 : Math.Max(1, (int)Math.Round(texts.Count * heldOutFraction, MidpointRounding.AwayFromZero));
            heldOut.UnionWith(texts.Take(take));
        }

        var train = new List<LabelledFollowup>();
        var held = new List<LabelledFollowup>();
        foreach (var row in rows)
        {
            (heldOut.Contains(FollowupText.Normalize(row.Text)) ? held : train).Add(row);
        }

        return (train, held);
    }
}
