-- Conversations a labeller could not label, set aside so the conversations beside them are labelled and the partition's
-- offset moves on: each failed alone (its chunk split down to it) on several consecutive passes while the store
-- answered. The row says where its records are and why it failed. The labellers' reconciliation sweep leaves these
-- conversations alone; `check labels` counts their responses as violations and says they were set aside. To label one
-- again (after a fix), delete its row: the next sweep repairs it. A new event of the conversation is labelled as usual.
CREATE TABLE IF NOT EXISTS labeling_set_aside
(
    app_id          LowCardinality(String),
    conversation_id String,
    kafka_topic     LowCardinality(String),
    kafka_partition Int32,
    first_offset    Int64 COMMENT 'oldest record of the conversation the labeller had not labelled',
    last_offset     Int64,
    attempts        UInt32 COMMENT 'consecutive passes on which the conversation failed alone',
    error           String COMMENT 'the last failure',
    set_aside_at    DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(set_aside_at)
ORDER BY (app_id, conversation_id);
