-- Every accepted event, exactly once per event_id after merges.
-- ReplacingMergeTree keyed by event_id alone: a retried event (same event_id) collapses into one row, whatever
-- day it was received on. occurred_at is fixed by the client, so retries land in the same monthly partition.
CREATE TABLE IF NOT EXISTS events_raw
(
    event_id        String,
    type            LowCardinality(String),
    schema_version  UInt16,
    app_id          LowCardinality(String),
    user_id         String,
    conversation_id String,
    response_id     String COMMENT 'the response the event is about; empty when none',
    occurred_at     DateTime64(3, 'UTC') COMMENT 'client clock',
    received_at     DateTime64(3, 'UTC') COMMENT 'gateway clock',
    payload         String COMMENT 'the typed payload as JSON (free text already redacted by the gateway)',
    kafka_topic     LowCardinality(String),
    kafka_partition Int32,
    kafka_offset    Int64,
    ingested_at     DateTime64(3, 'UTC') DEFAULT now64(3) COMMENT 'when the pipeline wrote the row'
)
ENGINE = ReplacingMergeTree
PARTITION BY toYYYYMM(occurred_at)
ORDER BY event_id;
