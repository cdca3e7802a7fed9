-- User profiles (the activity of a chunk's users over the lookback) filter events_raw on user_id, which is outside its
-- sorting key (app_id, event_id): every chunk of conversations the labeller labelled read the user_id column of the
-- app's whole history. A narrow projection sorted by (app_id, user_id) makes it read only the granules of the users
-- asked for. The reaction a reaction.set carries is materialised as a column first: profiles and population rates group
-- and filter by it, and the projection could otherwise only get it by copying the payload, the widest column.
-- Materialising the projection is a mutation that runs in the background on existing parts; new parts carry it from
-- their insert (deduplicate_merge_projection_mode is 'rebuild' since 0010).
ALTER TABLE events_raw ADD COLUMN IF NOT EXISTS reaction LowCardinality(String)
    MATERIALIZED if(type = 'reaction.set', JSONExtractString(payload, 'reaction'), '')
    COMMENT 'the reaction a reaction.set carries (love, like, dislike, ...); empty for other types';

ALTER TABLE events_raw ADD PROJECTION IF NOT EXISTS by_user
    (SELECT app_id, user_id, type, reaction, occurred_at, event_id ORDER BY app_id, user_id);

ALTER TABLE events_raw MATERIALIZE PROJECTION by_user;
