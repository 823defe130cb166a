-- 0011_mastery_observations: the BKT history (one row per mastery update) and the update itself.
--
-- * mastery_observations keeps p_known after every observed answer, so trend_7d (DECISIONS.md §3:
--   p_known now minus p_known 7 days ago, from the attempt history) is one indexed lookup inside
--   the statement that writes the attempt, instead of a replay. Its primary key is the attempt:
--   an attempt feeds BKT at most once (the LLM's later tag, a re-read or a redelivered message can
--   never update mastery a second time). It also gives calibration per-topic observations.
-- * bkt_update() is chalicelib.domain.bkt.bkt_update written in SQL, operation for operation (the
--   same IEEE-754 double arithmetic, so results are bit-identical; a test compares the two), so the
--   upsert can read the stored prior under the row lock and never loses a concurrent update.

CREATE TABLE mastery_observations (
    attempt_id   TEXT             NOT NULL,
    student_id   TEXT             NOT NULL,
    topic_id     TEXT             NOT NULL,
    is_correct   BOOLEAN          NOT NULL,
    p_known      DOUBLE PRECISION NOT NULL,   -- after this observation
    observed_at  TIMESTAMPTZ(3)   NOT NULL DEFAULT now(),
    CONSTRAINT mastery_observations_pkey PRIMARY KEY (attempt_id),
    CONSTRAINT mastery_observations_attempt_id_fkey FOREIGN KEY (attempt_id)
        REFERENCES attempts (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT mastery_observations_student_id_fkey FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT mastery_observations_topic_id_fkey FOREIGN KEY (topic_id)
        REFERENCES topics (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX mastery_observations_student_id_topic_id_observed_at_idx
    ON mastery_observations (student_id, topic_id, observed_at DESC);
CREATE INDEX mastery_observations_topic_id_observed_at_idx ON mastery_observations (topic_id, observed_at);

-- p_known after one observed answer (domain.md §2.3): evidence step (a zero denominator keeps the
-- prior, DECISIONS.md §3), learning step, clamp to [0, 1]. Each function is a single expression and
-- not STRICT, so the planner inlines them into the statement that calls them.
--
-- PostgreSQL raises an error where IEEE arithmetic would silently underflow to 0 (a product of two
-- non-zero numbers that rounds to 0). Inputs below 1e-150 are therefore taken as 0, which keeps every
-- product representable; for all other inputs the result is bit-identical to the Python function.
-- (Only a topic with p_transit = 0 can drive p_known that low, after a hundred wrong answers in a row.)
CREATE FUNCTION bkt_flush_tiny(x DOUBLE PRECISION)
RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT CASE WHEN abs(x) < 1e-150::float8 THEN 0.0::float8 ELSE x END $$;

CREATE FUNCTION bkt_posterior(prior DOUBLE PRECISION, p_slip DOUBLE PRECISION, p_guess DOUBLE PRECISION,
                              observed_correct BOOLEAN)
RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN observed_correct
        THEN coalesce((1.0::float8 - p_slip) * prior
                      / nullif((1.0::float8 - p_slip) * prior + p_guess * (1.0::float8 - prior), 0.0::float8), prior)
        ELSE coalesce(p_slip * prior
                      / nullif(p_slip * prior + (1.0::float8 - p_guess) * (1.0::float8 - prior), 0.0::float8), prior)
    END
$$;

CREATE FUNCTION bkt_learn(posterior DOUBLE PRECISION, p_transit DOUBLE PRECISION)
RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT least(1.0::float8, greatest(0.0::float8, posterior + (1.0::float8 - posterior) * p_transit)) $$;

CREATE FUNCTION bkt_update(prior DOUBLE PRECISION, p_transit DOUBLE PRECISION, p_slip DOUBLE PRECISION,
                           p_guess DOUBLE PRECISION, observed_correct BOOLEAN)
RETURNS DOUBLE PRECISION
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT bkt_learn(bkt_posterior(bkt_flush_tiny(prior), bkt_flush_tiny(p_slip), bkt_flush_tiny(p_guess),
                                   observed_correct),
                     bkt_flush_tiny(p_transit))
$$;
