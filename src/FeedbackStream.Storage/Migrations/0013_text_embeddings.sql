-- Sentence vectors of texts the product has embedded (prompts and responses of exported pairs), so a text is embedded
-- once per app and encoder: `export-pairs --top K --diversity-space minilm` reads the vectors it has and embeds only
-- the new texts. Keyed by app (a tenant's texts stay its own) and the SHA-256 of the exact text; the encoder's name
-- (with its token budget) is part of the key, so a different encoder never reads another's vectors. Re-embedding the
-- same text writes the same key: the table is idempotent.
CREATE TABLE IF NOT EXISTS text_embeddings
(
    app_id          LowCardinality(String),
    encoder         LowCardinality(String) COMMENT 'encoder name and token budget, e.g. all-MiniLM-L6-v2/256',
    text_sha256     String COMMENT 'lowercase hex SHA-256 of the UTF-8 text',
    dimensions      UInt16,
    vector          Array(Float32) COMMENT 'unit length',
    computed_at     DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY (app_id, encoder, text_sha256);
