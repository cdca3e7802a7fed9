using System.Security.Cryptography;
using System.Text;

namespace FeedbackStream.Mining;

/// <summary>Deterministic ids and prompt keys: the same inputs always give the same id, so recomputation replaces rows.</summary>
public static class Ids
{
    public static string Of(params string[] parts)
    {
        var joined = string.Join('\u001f', parts);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(joined)).AsSpan(0, 16));
    }

    /// <summary>
    /// The key that groups responses of "the same prompt": the client's prompt hash when sent, else a hash of the prompt
    /// text normalised (lower case, letters and digits only, single spaces), prefixed by the app unless pairs may cross apps.
    /// </summary>
    public static string PromptKey(string appId, string? promptText, string? promptHash, bool acrossApps)
    {
        string body;
        if (!string.IsNullOrEmpty(promptHash))
        {
            body = "h:" + promptHash;
        }
        else
        {
            var builder = new StringBuilder((promptText ?? "").Length);
            var space = false;
            foreach (var c in (promptText ?? "").ToLowerInvariant())
            {
                if (char.IsLetterOrDigit(c))
                {
                    if (space && builder.Length > 0)
                    {
                        builder.Append(' ');
                    }

                    builder.Append(c);
                    space = false;
                }
                else
                {
                    space = true;
                }
            }

            body = "t:" + Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(builder.ToString())).AsSpan(0, 16));
        }

        return acrossApps ? body : $"{appId}/{body}";
    }
}
