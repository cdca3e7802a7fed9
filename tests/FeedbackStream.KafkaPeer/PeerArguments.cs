using System.Globalization;

namespace FeedbackStream.KafkaPeer;

/// <summary><c>--name value</c> pairs (a name may repeat); <c>--flag</c> alone means "true".</summary>
internal sealed class PeerArguments
{
    private readonly Dictionary<string, List<string>> _values = new(StringComparer.Ordinal);

    public PeerArguments(IEnumerable<string> args)
    {
        string? pending = null;
        foreach (var arg in args)
        {
            if (arg.StartsWith("--", StringComparison.Ordinal))
            {
                if (pending is not null)
                {
                    Add(pending, "true");
                }

                pending = arg[2..];
            }
            else if (pending is not null)
            {
                Add(pending, arg);
                pending = null;
            }
            else
            {
                throw new ArgumentException($"Unexpected argument '{arg}'.");
            }
        }

        if (pending is not null)
        {
            Add(pending, "true");
        }
    }

    public string Required(string name) =>
        _values.TryGetValue(name, out var list) ? list[^1] : throw new ArgumentException($"--{name} is required.");

    public string? Optional(string name) => _values.TryGetValue(name, out var list) ? list[^1] : null;

    public IReadOnlyList<string> All(string name) => _values.TryGetValue(name, out var list) ? list : [];

    public int Int(string name, int defaultValue) =>
        Optional(name) is { } text ? int.Parse(text, NumberStyles.Integer, CultureInfo.InvariantCulture) : defaultValue;

    public bool Flag(string name) => Optional(name) is { } text && bool.Parse(text);

    /// <summary>The <c>--set key=value</c> librdkafka properties.</summary>
    public IEnumerable<KeyValuePair<string, string>> Properties(string name = "set")
    {
        foreach (var pair in All(name))
        {
            var eq = pair.IndexOf('=', StringComparison.Ordinal);
            if (eq <= 0)
            {
                throw new ArgumentException($"--{name} expects key=value, got '{pair}'.");
            }

            yield return new KeyValuePair<string, string>(pair[..eq], pair[(eq + 1)..]);
        }
    }

    private void Add(string name, string value)
    {
        if (!_values.TryGetValue(name, out var list))
        {
            list = [];
            _values[name] = list;
        }

        list.Add(value);
    }
}
