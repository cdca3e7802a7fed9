-- Dead letters: records the pipeline could not decode or validate, with where they came from and why.
-- Keyed by Kafka coordinates, so re-reading the same record after a restart replaces rather than duplicates.
CREATE TABLE IF NOT EXISTS events_rejected
(
    kafka_topic     LowCardinality(String),
    kafka_partition Int32,
    kafka_offset    Int64,
    kafka_key       String,
    raw             String COMMENT 'the record value, cut to the configured maximum',
    raw_bytes       UInt32 COMMENT 'the full length of the record value',
    reason          String,
    error_path      String COMMENT 'JSON path of the offending field, when known',
    rejected_at     DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree
ORDER BY (kafka_topic, kafka_partition, kafka_offset);
