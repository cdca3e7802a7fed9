-- Sibling mining reads, for every chunk the labeller labels, the labels of the chunk's prompts (prompt_key IN ...).
-- response_labels is sorted by label_id, so that lookup read the prompt_key column of every label ever written, and a
-- chunk paid for the whole table's history. A narrow projection sorted by (prompt_key, app_id) holds the five columns
-- the lookup filters, groups and ranks on, so it reads only the granules of the prompts asked for. ReplacingMergeTree allows
-- projections only when merges say what to do with them ('rebuild': a merge that drops a replaced label rebuilds the
-- projection of the merged part). Materialising is a mutation that runs in the background on existing parts; new
-- parts carry the projection from their insert.
ALTER TABLE response_labels MODIFY SETTING deduplicate_merge_projection_mode = 'rebuild';
ALTER TABLE response_labels ADD PROJECTION IF NOT EXISTS by_prompt
    (SELECT prompt_key, app_id, label_id, score, computed_at ORDER BY prompt_key, app_id);
ALTER TABLE response_labels MATERIALIZE PROJECTION by_prompt;
