-- The labeller reloads whole conversations (app_id, conversation_id IN ...) for every chunk it labels. events_raw is
-- keyed by (app_id, event_id), so that lookup read the whole table each time. A projection keeps a second copy of the
-- rows sorted by (app_id, conversation_id): the same query now reads only the granules of the conversations asked
-- for. ReplacingMergeTree allows projections only when merges say what to do with them ('rebuild': a merge that
-- drops a duplicate rebuilds the projection of the merged part). Materialising is a mutation that runs in the
-- background on existing parts; new parts carry the projection from their insert.
ALTER TABLE events_raw MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE events_raw ADD PROJECTION IF NOT EXISTS by_conversation (SELECT * ORDER BY app_id, conversation_id);
ALTER TABLE events_raw MATERIALIZE PROJECTION by_conversation;
