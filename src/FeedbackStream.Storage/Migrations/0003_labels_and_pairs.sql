-- One row per settled response (label_id is deterministic: recomputing a label replaces it; the newest computed_at wins).
CREATE TABLE IF NOT EXISTS response_labels
(
    label_id          String,
    app_id            LowCardinality(String),
    response_id       String,
    conversation_id   String,
    user_id           String,
    model_version     LowCardinality(String),
    prompt_key        String COMMENT 'groups responses to the same prompt: client hash or normalised-text hash, per app',
    prompt_text       String,
    response_text     String,
    turn_index        UInt32,
    regenerated_from  String,
    candidate_index   UInt32,
    served_at         DateTime64(3, 'UTC'),
    last_signal_at    DateTime64(3, 'UTC'),
    love              Bool,
    love_weight       Float64 COMMENT '0 when no love; below 1 when the user loves most responses (base-rate weighting)',
    dislike           Bool,
    dislike_weight    Float64,
    other_reactions   Array(LowCardinality(String)),
    followup_polarity LowCardinality(String) COMMENT 'sat, dsat, neutral or empty when no follow-up',
    followup_kind     LowCardinality(String),
    followup_p_sat    Float64,
    followup_p_dsat   Float64,
    actions           Array(LowCardinality(String)),
    score             Float64 COMMENT 'net signal after denoising (see docs/analytics.md for the weights)',
    confidence        Float64,
    signal_events     UInt32,
    dropped_signals   UInt32,
    late_events       UInt32 COMMENT 'signals stored more than the settle window after they occurred',
    rules             Array(LowCardinality(String)) COMMENT 'denoising rules that touched this response',
    evidence_event_ids Array(String),
    computed_at       DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(computed_at)
ORDER BY label_id;

-- Every denoising decision, for audits: which event, which rule, kept / dropped / reweighted, and why.
CREATE TABLE IF NOT EXISTS signal_decisions
(
    event_id    String,
    rule        LowCardinality(String),
    app_id      LowCardinality(String),
    response_id String,
    user_id     String,
    action      LowCardinality(String),
    weight      Float64,
    reason      String,
    decided_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(decided_at)
ORDER BY (event_id, rule);

-- Preference pairs with provenance (pair_id is deterministic over app, prompt, chosen, rejected and source).
CREATE TABLE IF NOT EXISTS preference_pairs
(
    pair_id              String,
    app_id               LowCardinality(String),
    prompt_key           String,
    prompt_text          String,
    chosen_response_id   String COMMENT 'edit:<event_id> when the chosen text is the user''s own edit',
    chosen_text          String,
    rejected_response_id String,
    rejected_text        String,
    source               LowCardinality(String) COMMENT 'regeneration, same_prompt_siblings, followup_sat_vs_dsat, edit',
    confidence           Float64,
    margin               Float64,
    evidence_event_ids   Array(String),
    users                Array(String),
    mined_at             DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(mined_at)
ORDER BY pair_id;

-- Where the labelling worker got to: a restart resumes from here (and recomputes a settle window's worth, idempotently).
CREATE TABLE IF NOT EXISTS labeling_state
(
    worker      String,
    watermark   DateTime64(3, 'UTC') COMMENT 'events ingested up to here were labelled (or are pending their settle window)',
    updated_at  DateTime64(3, 'UTC')
)
ENGINE = ReplacingMergeTree(updated_at)
ORDER BY worker;
