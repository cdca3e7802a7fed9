-- The retraining job service's state, shared by every process (gateways, trainers): an append-only log of what
-- happened to each job. A job's state is the fold of its events (FeedbackStream.Models.RetrainJobState), so concurrent
-- writers never overwrite each other: a gateway asking to cancel, a trainer's heartbeat and another process declaring
-- a silent trainer lost are separate rows.
--
-- job_id of a scheduled run is derived from the model and the schedule's tick (the same in every process), so two
-- schedulers submitting the same tick write the same job: the single trainer queue runs it once and skips the second
-- message. Events are never updated; heartbeats of long runs are the bulk and expire with the table's TTL.
CREATE TABLE IF NOT EXISTS retrain_job_events
(
    job_id          UUID,
    model_name      LowCardinality(String),
    at              DateTime64(6, 'UTC'),
    kind            LowCardinality(String) COMMENT 'submitted, started, heartbeat, cancel_requested, finished, failed, canceled',
    trigger         LowCardinality(String) COMMENT 'submitted: schedule, new_labels, admin, demo',
    requested_by    String COMMENT 'submitted: the admin key name or triggers; cancel_requested: who asked',
    attempt         UInt16 COMMENT 'started, heartbeat, finished, failed: the attempt (0 = first)',
    run_id          String COMMENT 'started and after: model_runs.run_id of the attempt',
    owner           String COMMENT 'started, heartbeat: the process running the attempt (host/pid)',
    run_status      LowCardinality(String) COMMENT 'finished: promoted or refused; failed: failed or lost',
    version         String COMMENT 'finished: the version the run produced',
    reason          String COMMENT 'failed, canceled, cancel_requested: why'
)
ENGINE = MergeTree
ORDER BY (model_name, job_id, at)
TTL toDateTime(at) + INTERVAL 180 DAY;
