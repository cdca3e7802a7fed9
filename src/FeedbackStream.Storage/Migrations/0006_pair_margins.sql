-- Preference strength of each pair under the newest training run's ensemble of P[Love] scorers (Secrets of RLHF II):
-- mean and spread of P[Love](chosen) - P[Love](rejected). A later run replaces a pair's row.
CREATE TABLE IF NOT EXISTS pair_margins
(
    pair_id       String,
    model_version String COMMENT 'the run''s model version',
    margin_mean   Float64 COMMENT 'negative: the scorers prefer the rejected response',
    margin_spread Float64 COMMENT 'standard deviation over the ensemble',
    models        UInt8,
    computed_at   DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY pair_id;
