using FeedbackStream.Embeddings;

namespace FeedbackStream.Storage.Embeddings;

/// <summary>
/// Sentence vectors through <c>text_embeddings</c>: each distinct text of an app is looked up by its hash, only the
/// missing ones go to the encoder (in batches), and those are stored, so the next export or run does not re-embed them.
/// </summary>
public sealed class TextEmbeddingCache(TextEmbeddingRepository repository, ITextEncoder encoder)
{
    /// <summary>Texts per encoder call and per insert.</summary>
    public int BatchSize { get; init; } = 256;

    /// <summary>Distinct texts found stored and distinct texts embedded, since this cache was made.</summary>
    public (long Stored, long Embedded) Counts => (Interlocked.Read(ref _stored), Interlocked.Read(ref _embedded));

    private long _stored;
    private long _embedded;

    /// <summary>One unit vector per text of <paramref name="appId"/>, in order.</summary>
    public async Task<IReadOnlyList<float[]>> VectorsAsync(string appId, IReadOnlyList<string> texts, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(texts);
        var hashes = texts.Select(TextEmbeddingRepository.Hash).ToArray();
        var known = await repository.FindAsync(appId, encoder.ModelName, hashes, cancellationToken);
        Interlocked.Add(ref _stored, known.Count);
        var missing = hashes.Select((hash, i) => (hash, i)).Where(x => !known.ContainsKey(x.hash)).DistinctBy(x => x.hash).ToList();
        foreach (var batch in missing.Chunk(BatchSize))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var vectors = encoder.Encode(batch.Select(x => texts[x.i]).ToList(), cancellationToken);
            var fresh = batch.Select((x, j) => new KeyValuePair<string, float[]>(x.hash, vectors[j])).ToList();
            await repository.StoreAsync(appId, encoder.ModelName, fresh, cancellationToken);
            foreach (var (hash, vector) in fresh)
            {
                known[hash] = vector;
            }

            Interlocked.Add(ref _embedded, fresh.Count);
        }

        return hashes.Select(hash => known[hash]).ToList();
    }
}
