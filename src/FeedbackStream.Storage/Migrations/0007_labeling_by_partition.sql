-- Labelling is a Kafka consumer group of its own: a labeller labels a conversation only once the pipeline has stored
-- every record of it that the labeller consumed. After each batch ClickHouse accepted, the pipeline records here how
-- far it stored each partition (dead letters included). Few rows: one per partition after merges.
CREATE TABLE IF NOT EXISTS pipeline_progress
(
    kafka_topic     LowCardinality(String),
    kafka_partition Int32,
    stored_through  Int64 COMMENT 'highest offset of the partition whose record is in events_raw or events_rejected',
    updated_at      DateTime64(3, 'UTC') DEFAULT now64(3)
)
ENGINE = ReplacingMergeTree(stored_through)
ORDER BY (kafka_topic, kafka_partition);

-- Denoising decisions belong to a tenant: keyed by (app_id, event_id, rule), so an event of one app never replaces
-- the decision about another app's event that happens to share its event_id. Decisions are derived rows, copied over.
CREATE TABLE IF NOT EXISTS signal_decisions_by_app AS signal_decisions
ENGINE = ReplacingMergeTree(decided_at)
ORDER BY (app_id, event_id, rule);

INSERT INTO signal_decisions_by_app SELECT * FROM signal_decisions;

EXCHANGE TABLES signal_decisions AND signal_decisions_by_app;

DROP TABLE IF EXISTS signal_decisions_by_app;
