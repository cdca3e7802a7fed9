using System.Text.RegularExpressions;

namespace FeedbackStream.Gateway;

/// <summary>Recall of one kind of personal data: the share of its samples whose value was fully replaced, prefix and suffix kept.</summary>
public sealed record RedactionKindScore(string Kind, int Samples, int Redacted, double Recall, int RightPlaceholder, IReadOnlyList<RedactionVariantScore> Variants);

/// <summary>Recall of one way of writing a kind of personal data.</summary>
public sealed record RedactionVariantScore(string Variant, int Samples, double Recall);

/// <summary>A sample the redactor got wrong, with what it produced.</summary>
public sealed record RedactionMiss(string? Kind, string Variant, string Text, string Output);

/// <summary>What <c>feedbackstream eval redaction</c> reports.</summary>
public sealed record RedactionEvaluationReport(
    int Seed,
    int PiiSamples,
    IReadOnlyList<RedactionKindScore> Kinds,
    int NonPiiSamples,
    int FalsePositives,
    double FalsePositiveRate,
    IReadOnlyList<RedactionMiss> Misses);

/// <summary>
/// Measures <see cref="PiiRedactor"/> (default options) on <see cref="RedactionCorpus"/>. A personal-data sample counts
/// as redacted when the output is its prefix, then only placeholders and punctuation where the value was, then its
/// suffix: a partial leak such as <c>jö[email]</c> is a miss. A look-alike counts as a false positive when the output
/// differs from the input in any way.
/// </summary>
public static partial class RedactionEvaluation
{
    public static RedactionEvaluationReport Run(int seed = RedactionCorpus.DefaultSeed, int maxMisses = 50)
    {
        var redactor = new PiiRedactor(new RedactionOptions());
        var samples = RedactionCorpus.Generate(seed);
        var misses = new List<RedactionMiss>();
        var kinds = new List<RedactionKindScore>();
        foreach (var group in samples.Where(s => s.Kind is not null).GroupBy(s => s.Kind!))
        {
            var redacted = 0;
            var right = 0;
            var byVariant = new Dictionary<string, (int Samples, int Redacted)>(StringComparer.Ordinal);
            foreach (var sample in group)
            {
                var output = redactor.Redact(sample.Text).Text;
                var ok = FullyReplaced(sample, output);
                var counts = byVariant.GetValueOrDefault(sample.Variant);
                byVariant[sample.Variant] = (counts.Samples + 1, counts.Redacted + (ok ? 1 : 0));
                if (ok)
                {
                    redacted++;
                    right += output.Contains($"[{group.Key}]", StringComparison.Ordinal) ? 1 : 0;
                }
                else if (misses.Count < maxMisses)
                {
                    misses.Add(new RedactionMiss(sample.Kind, sample.Variant, sample.Text, output));
                }
            }

            var total = group.Count();
            kinds.Add(new RedactionKindScore(
                group.Key, total, redacted, Math.Round((double)redacted / total, 4), right,
                [.. byVariant.OrderBy(v => v.Key, StringComparer.Ordinal).Select(v => new RedactionVariantScore(v.Key, v.Value.Samples, Math.Round((double)v.Value.Redacted / v.Value.Samples, 4)))]));
        }

        var lookAlikes = samples.Where(s => s.Kind is null).ToList();
        var falsePositives = 0;
        foreach (var sample in lookAlikes)
        {
            var output = redactor.Redact(sample.Text).Text;
            if (!string.Equals(output, sample.Text, StringComparison.Ordinal))
            {
                falsePositives++;
                if (misses.Count < maxMisses)
                {
                    misses.Add(new RedactionMiss(null, sample.Variant, sample.Text, output));
                }
            }
        }

        return new RedactionEvaluationReport(
            seed, samples.Count - lookAlikes.Count, kinds, lookAlikes.Count, falsePositives,
            Math.Round((double)falsePositives / Math.Max(1, lookAlikes.Count), 4), misses);
    }

    /// <summary>Prefix and suffix intact, and between them nothing but placeholders, spaces and punctuation.</summary>
    internal static bool FullyReplaced(RedactionSample sample, string output)
    {
        if (!output.StartsWith(sample.Prefix, StringComparison.Ordinal) || !output.EndsWith(sample.Suffix, StringComparison.Ordinal) ||
            output.Length < sample.Prefix.Length + sample.Suffix.Length)
        {
            return false;
        }

        var middle = output[sample.Prefix.Length..^sample.Suffix.Length];
        var rest = Placeholder().Replace(middle, string.Empty);
        return middle.Length > rest.Length && !rest.Any(char.IsLetterOrDigit);
    }

    [GeneratedRegex(@"\[[a-z_]+\]", RegexOptions.CultureInvariant)]
    private static partial Regex Placeholder();
}
