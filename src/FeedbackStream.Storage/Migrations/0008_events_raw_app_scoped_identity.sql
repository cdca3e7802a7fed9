-- The stored identity of an event is (app_id, event_id): event ids are chosen by the sending app, so two apps may
-- use the same id and both events must be kept. 0001 keyed events_raw by event_id alone (one app's event replaced
-- another's under FINAL) and partitioned it by toYYYYMM(occurred_at): ReplacingMergeTree only collapses rows inside
-- one partition, so one event sent twice with occurred_at in different months stayed two rows for ever.
--
-- The rebuilt table is keyed by (app_id, event_id) and has NO partition key (PARTITION BY tuple(): said explicitly,
-- since CREATE ... AS would otherwise keep the old one). A partition key must be a function of
-- the sorting key alone, or one identity can land in two partitions and never merge; the only such keys here would
-- split by app or by a hash of the id, which neither prune time-range queries nor make retention simpler. Time-range
-- reads are served by the minmax skip indexes on occurred_at and ingested_at instead.
--
-- Rebuild: copy into a new table, swap the two, drop the old one. Every step can run again after a failure part way:
-- a leftover copy is dropped first; after a completed swap the leftover is the old table, whose rows are already in
-- the new one. The copy keeps every column of the current table (CREATE ... AS events_raw), with its types, defaults
-- and comments; only the engine clause changes. Rows written to events_raw during the copy would be lost, so this
-- runs, like every migration, before the pipeline starts.
DROP TABLE IF EXISTS events_raw_0008;

CREATE TABLE events_raw_0008 AS events_raw
ENGINE = ReplacingMergeTree
PARTITION BY tuple()
ORDER BY (app_id, event_id)
SETTINGS index_granularity = 8192;

ALTER TABLE events_raw_0008 ADD INDEX IF NOT EXISTS occurred_at_minmax occurred_at TYPE minmax GRANULARITY 1;

ALTER TABLE events_raw_0008 ADD INDEX IF NOT EXISTS ingested_at_minmax ingested_at TYPE minmax GRANULARITY 1;

INSERT INTO events_raw_0008 SELECT * FROM events_raw;

EXCHANGE TABLES events_raw AND events_raw_0008;

DROP TABLE IF EXISTS events_raw_0008;
