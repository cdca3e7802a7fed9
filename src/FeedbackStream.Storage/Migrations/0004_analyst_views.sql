-- Views for analysts. They read with FINAL so that every event, label and pair counts once even before
-- ReplacingMergeTree merges (FINAL runs in parallel on ClickHouse 24+; for very large tables query a time range).

-- Every accepted event exactly once.
CREATE VIEW IF NOT EXISTS v_events AS
SELECT * FROM events_raw FINAL;

-- Love and dislike rates of settled responses by day, app and model version.
CREATE VIEW IF NOT EXISTS v_love_rate_daily AS
SELECT
    toDate(served_at)                AS day,
    app_id,
    model_version,
    count()                          AS responses,
    countIf(love)                    AS loved,
    round(loved / responses, 4)      AS love_rate,
    countIf(dislike)                 AS disliked,
    round(disliked / responses, 4)   AS dislike_rate,
    round(avg(score), 4)             AS mean_score,
    countIf(followup_polarity = 'sat')  AS followups_sat,
    countIf(followup_polarity = 'dsat') AS followups_dsat
FROM response_labels FINAL
GROUP BY day, app_id, model_version;

-- Preference pairs by day and source.
CREATE VIEW IF NOT EXISTS v_pairs_daily AS
SELECT
    toDate(mined_at)            AS day,
    app_id,
    source,
    count()                     AS pairs,
    round(avg(confidence), 4)   AS mean_confidence,
    countIf(confidence >= 0.8)  AS high_confidence_pairs
FROM preference_pairs FINAL
GROUP BY day, app_id, source;

-- Denoising decisions by day, rule and action.
CREATE VIEW IF NOT EXISTS v_decisions_daily AS
SELECT
    toDate(decided_at)      AS day,
    rule,
    action,
    count()                 AS signals,
    uniqExact(user_id)      AS users,
    round(avg(weight), 4)   AS mean_weight
FROM signal_decisions FINAL
GROUP BY day, rule, action;
