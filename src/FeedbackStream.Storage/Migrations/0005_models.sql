-- P[Love] retraining: the served response's surface and latency become training features.
ALTER TABLE response_labels ADD COLUMN IF NOT EXISTS surface LowCardinality(String) DEFAULT '' COMMENT 'surface the response was shown on (web, mobile, ...), empty when the app did not say';
ALTER TABLE response_labels ADD COLUMN IF NOT EXISTS latency_ms Float64 DEFAULT 0 COMMENT 'time to the response in ms, 0 when the app did not say';

-- One row per training run (run_id is the run's id; a finished run replaces its started row): the pinned data window,
-- the metrics on the later time slice, the champion measured on the same slice, the gate's decision and the report.
CREATE TABLE IF NOT EXISTS model_runs
(
    run_id                     String,
    model_name                 LowCardinality(String),
    version                    String COMMENT 'the version the run produced; empty when it failed before training',
    trigger                    LowCardinality(String) COMMENT 'cli, schedule, admin, new_labels, demo',
    status                     LowCardinality(String) COMMENT 'running, promoted, refused, failed, canceled',
    started_at                 DateTime64(3, 'UTC'),
    finished_at                DateTime64(3, 'UTC'),
    learner                    LowCardinality(String),
    denoising                  LowCardinality(String),
    pinned_at                  DateTime64(3, 'UTC') COMMENT 'labels computed at or before this instant were read',
    settle_watermark           DateTime64(3, 'UTC') COMMENT 'the labelling worker''s watermark when the run read its data',
    served_from                DateTime64(3, 'UTC'),
    served_to                  DateTime64(3, 'UTC'),
    calibration_from           DateTime64(3, 'UTC'),
    test_from                  DateTime64(3, 'UTC'),
    train_rows                 UInt32,
    calibration_rows           UInt32,
    test_rows                  UInt32,
    positives                  UInt32,
    pairs                      UInt32,
    data_hash                  String COMMENT 'hash of the rows read (ids, labels, weights): equal hashes, equal data',
    auc                        Float64,
    log_loss                   Float64,
    ece                        Float64,
    pearson_length             Float64,
    base_rate                  Float64,
    mean_prediction            Float64,
    pairwise_accuracy          Float64 COMMENT 'P[Love] of chosen above rejected on held-out pairs',
    pairwise_model_accuracy    Float64 COMMENT 'the pairwise (ranking) model on the same held-out pairs',
    offline_online_correlation Nullable(Float64) COMMENT 'Pearson over model versions of mean score and observed love rate (3+ versions)',
    champion_version           String,
    champion_auc               Nullable(Float64),
    champion_ece               Nullable(Float64),
    gate_passed                Bool,
    gate_reason                String,
    error                      String,
    artifact_sha256            String,
    report_json                String,
    report_html                String
)
ENGINE = ReplacingMergeTree(finished_at)
ORDER BY run_id;

-- Model artifacts by version: the zip (base64) with its SHA-256. Serving processes load the champion from here.
CREATE TABLE IF NOT EXISTS model_artifacts
(
    version     String,
    model_name  LowCardinality(String),
    sha256      String,
    size_bytes  UInt64,
    created_at  DateTime64(3, 'UTC'),
    content     String COMMENT 'base64 of the model zip' CODEC(ZSTD(3))
)
ENGINE = ReplacingMergeTree(created_at)
ORDER BY version;

-- Promotions and rollbacks: the champion is the version of the newest event.
CREATE TABLE IF NOT EXISTS model_registry_events
(
    event_id         String,
    model_name       LowCardinality(String),
    action           LowCardinality(String) COMMENT 'promote or rollback',
    version          String,
    previous_version String,
    reason           String,
    actor            String,
    at               DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(at)
ORDER BY event_id;
