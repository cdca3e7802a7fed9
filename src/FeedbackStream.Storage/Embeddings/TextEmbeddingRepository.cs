using System.Security.Cryptography;
using System.Text;
using ClickHouse.Driver;
using ClickHouse.Driver.Utility;

namespace FeedbackStream.Storage.Embeddings;

/// <summary>
/// <c>text_embeddings</c>: sentence vectors by app, encoder and the SHA-256 of the text, so each text is embedded once.
/// Reads map columns by name; writes are idempotent (the same text writes the same key).
/// </summary>
public sealed class TextEmbeddingRepository(ClickHouseClient client)
{
    private const string Table = "text_embeddings";

    /// <summary>Hashes asked per query: keeps each query's text (and its IN list) bounded.</summary>
    private const int HashesPerQuery = 2_000;

    private static readonly string[] Columns = ["app_id", "encoder", "text_sha256", "dimensions", "vector", "computed_at"];

    /// <summary>Lowercase hex SHA-256 of the UTF-8 text: the key a text is stored under.</summary>
    public static string Hash(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>The stored vectors of <paramref name="hashes"/> for one app and encoder (hashes not stored are absent).</summary>
    public async Task<Dictionary<string, float[]>> FindAsync(string appId, string encoder, IReadOnlyCollection<string> hashes, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(hashes);
        var found = new Dictionary<string, float[]>(StringComparer.Ordinal);
        foreach (var chunk in hashes.Distinct(StringComparer.Ordinal).Chunk(HashesPerQuery))
        {
            var rows = await client.RowsAsync<VectorRow>(
                "SELECT text_sha256, argMax(vector, computed_at) AS vector FROM text_embeddings " +
                "WHERE app_id = {app:String} AND encoder = {encoder:String} AND text_sha256 IN {hashes:Array(String)} GROUP BY text_sha256",
                new { app = appId, encoder, hashes = chunk },
                cancellationToken);
            foreach (var row in rows)
            {
                found[row.TextSha256] = row.Vector;
            }
        }

        return found;
    }

    /// <summary>Stores vectors by text hash for one app and encoder.</summary>
    public Task StoreAsync(string appId, string encoder, IReadOnlyCollection<KeyValuePair<string, float[]>> vectors, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(vectors);
        if (vectors.Count == 0)
        {
            return Task.CompletedTask;
        }

        var now = DateTime.UtcNow;
        return ClickHouseMetrics.InsertAsync(Table, () => client.InsertBinaryAsync(
            Table,
            Columns,
            vectors.Select(v => new object[] { appId, encoder, v.Key, checked((ushort)v.Value.Length), v.Value, now }),
            null,
            cancellationToken));
    }

    private sealed class VectorRow
    {
        public string TextSha256 { get; set; } = string.Empty;

        public float[] Vector { get; set; } = [];
    }
}
