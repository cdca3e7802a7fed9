-- The preference judge compares two responses by approval rate: each label keeps the weighted signals for and against
-- it (summed over every distinct user), so labels reloaded from ClickHouse carry the same evidence as fresh ones.
ALTER TABLE response_labels ADD COLUMN IF NOT EXISTS positive_evidence Float64 DEFAULT 0 COMMENT 'weighted signals for the response, over every distinct user';
ALTER TABLE response_labels ADD COLUMN IF NOT EXISTS negative_evidence Float64 DEFAULT 0 COMMENT 'weighted signals against the response, over every distinct user';
