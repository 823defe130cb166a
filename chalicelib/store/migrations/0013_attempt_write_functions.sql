-- 0013_attempt_write_functions: the attempt writes as PL/pgSQL functions, called in one round trip.
--
-- Why functions: an attempt's write is a dozen dependent statements (resolve the topic, pick the
-- verdict, insert the attempt, its steps, upsert mastery, record the observation, queue the outbox
-- rows). Sent as one statement it must be parsed and planned on every request (the driver uses the
-- unnamed statement, which transaction poolers require), and planning it costs more than running
-- it. Inside a PL/pgSQL function each statement is planned once per connection and reused (generic
-- plans: every lookup is by key), while the client still sends a single short statement.
--
-- apply_bkt_observation(attempt, student, topic, is_correct) — the one mastery update an attempt
--   causes: bkt_update() (migration 0011) with the topic's parameters on the stored prior (or p_l0)
--   under the row lock, attempts_count + 1, last_attempt_at, trend_7d = p_known now minus the
--   p_known of the latest observation at least 7 days old (NULL without one, DECISIONS.md §3), and
--   the mastery_observations row (primary key = the attempt: never twice for one attempt).
--   No row returned when the topic does not exist.
--
-- record_submitted_attempt(...) — POST /attempts (api.md §4.3, DECISIONS.md §3): the topic is the
--   exercise's when one is given, else the reference is a topic id, a qualified code
--   <unit code>/<topic code> or a bare code — the first kind that matches wins, and a bare code
--   matching several topics is refused with the candidates. The verdict is picked among the rule
--   engine's candidates computed by the caller for every registered routing key ('*' = the
--   fallback for unregistered keys). Writes the attempt (classified_at set when CLASSIFIED), its
--   steps (the correctness on the final ones), the mastery update and the outbox rows (migration
--   0010) of the telemetry message and, for UNCLASSIFIED, the LLM request completed with the
--   topic fields and the problem statement. Returns what it found and wrote; nothing is written
--   when the exercise, the course enrolment or exactly one topic is missing.

CREATE FUNCTION apply_bkt_observation(p_attempt_id TEXT, p_student_id TEXT, p_topic_id TEXT,
                                      p_is_correct BOOLEAN)
RETURNS TABLE (mastery_p_known DOUBLE PRECISION, mastery_trend_7d DOUBLE PRECISION)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_p_l0 DOUBLE PRECISION;
    v_transit DOUBLE PRECISION;
    v_slip DOUBLE PRECISION;
    v_guess DOUBLE PRECISION;
    v_week_ago DOUBLE PRECISION;
    v_p_known DOUBLE PRECISION;
    v_trend DOUBLE PRECISION;
BEGIN
    SELECT t.bkt_p_l0, t.bkt_p_transit, t.bkt_p_slip, t.bkt_p_guess
    INTO v_p_l0, v_transit, v_slip, v_guess
    FROM topics t WHERE t.id = p_topic_id;
    IF NOT FOUND THEN
        RETURN;
    END IF;

    SELECT o.p_known INTO v_week_ago
    FROM mastery_observations o
    WHERE o.student_id = p_student_id AND o.topic_id = p_topic_id AND o.observed_at <= now() - interval '7 days'
    ORDER BY o.observed_at DESC
    LIMIT 1;

    INSERT INTO student_topic_mastery AS m
        (student_id, topic_id, p_known, attempts_count, last_attempt_at, trend_7d, updated_at)
    VALUES (p_student_id, p_topic_id, bkt_update(v_p_l0, v_transit, v_slip, v_guess, p_is_correct), 1, now(),
            bkt_update(v_p_l0, v_transit, v_slip, v_guess, p_is_correct) - v_week_ago, now())
    ON CONFLICT (student_id, topic_id) DO UPDATE SET
        p_known = bkt_update(m.p_known, v_transit, v_slip, v_guess, p_is_correct),
        attempts_count = m.attempts_count + 1,
        last_attempt_at = now(),
        trend_7d = bkt_update(m.p_known, v_transit, v_slip, v_guess, p_is_correct) - v_week_ago,
        updated_at = now()
    RETURNING m.p_known, m.trend_7d INTO v_p_known, v_trend;

    INSERT INTO mastery_observations (attempt_id, student_id, topic_id, is_correct, p_known, observed_at)
    VALUES (p_attempt_id, p_student_id, p_topic_id, p_is_correct, v_p_known, now());

    RETURN QUERY SELECT v_p_known, v_trend;
END
$$;


CREATE FUNCTION record_submitted_attempt(
    p_attempt_id TEXT, p_student_id TEXT, p_exercise_id TEXT, p_course_id TEXT, p_topic_ref TEXT,
    p_trace_id TEXT, p_final_answer TEXT,
    p_candidate_keys TEXT[], p_candidate_tags TEXT[], p_candidate_correct BOOLEAN[],
    p_candidate_confidence DOUBLE PRECISION[],
    p_step_expressions TEXT[], p_step_final BOOLEAN[],
    p_stream_body JSONB, p_llm_body JSONB, p_fallback_statement TEXT, p_lease_seconds DOUBLE PRECISION)
RETURNS TABLE (exercise_found BOOLEAN, course_found BOOLEAN, topic_candidates TEXT[],
               attempt_status TEXT, attempt_classifier_source TEXT, verdict_tag TEXT, verdict_correct BOOLEAN,
               verdict_confidence DOUBLE PRECISION, mastery_p_known DOUBLE PRECISION,
               mastery_trend_7d DOUBLE PRECISION, outbox JSON)
LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
    v_exercise_topic_id TEXT;
    v_prompt TEXT;
    v_topic_count INTEGER;
    v_candidates TEXT[];
    v_topic_id TEXT;
    v_topic_code TEXT;
    v_domain_id TEXT;
    v_subdomain_code TEXT;
    v_routing_key TEXT;
    v_tag TEXT;
    v_correct BOOLEAN;
    v_confidence DOUBLE PRECISION;
    v_status TEXT;
    v_source TEXT;
    v_p_known DOUBLE PRECISION;
    v_trend DOUBLE PRECISION;
    v_outbox JSON;
BEGIN
    IF p_exercise_id IS NOT NULL THEN
        SELECT e.topic_id, CASE WHEN jsonb_typeof(e.content -> 'prompt') = 'string' THEN e.content ->> 'prompt' END
        INTO v_exercise_topic_id, v_prompt
        FROM exercises e WHERE e.id = p_exercise_id;
        IF NOT FOUND THEN
            RETURN QUERY SELECT false, true, NULL::TEXT[], NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::BOOLEAN,
                                NULL::DOUBLE PRECISION, NULL::DOUBLE PRECISION, NULL::DOUBLE PRECISION, NULL::JSON;
            RETURN;
        END IF;
    END IF;

    IF p_course_id IS NOT NULL AND NOT EXISTS (
        SELECT 1 FROM enrollments en
        WHERE en.course_id = p_course_id AND en.student_id = p_student_id AND en.status = 'ACTIVE'
    ) THEN
        RETURN QUERY SELECT true, false, NULL::TEXT[], NULL::TEXT, NULL::TEXT, NULL::TEXT, NULL::BOOLEAN,
                            NULL::DOUBLE PRECISION, NULL::DOUBLE PRECISION, NULL::DOUBLE PRECISION, NULL::JSON;
        RETURN;
    END IF;

    IF v_exercise_topic_id IS NOT NULL THEN
        v_topic_count := 1;
        v_topic_id := v_exercise_topic_id;
    ELSE
        WITH matches AS (
            SELECT t.id, 1 AS kind FROM topics t WHERE t.id = p_topic_ref
            UNION ALL
            SELECT t.id, 2 FROM topics t JOIN units u ON u.id = t.unit_id
            WHERE strpos(p_topic_ref, '/') > 0 AND u.code = split_part(p_topic_ref, '/', 1)
              AND t.code = substr(p_topic_ref, strpos(p_topic_ref, '/') + 1)
            UNION ALL
            SELECT t.id, 3 FROM topics t WHERE t.code = p_topic_ref
        ),
        best AS (SELECT DISTINCT m.id FROM matches m WHERE m.kind = (SELECT min(kind) FROM matches))
        SELECT count(*), array_agg(u.code || '/' || t.code ORDER BY u.code, t.code), min(t.id)
        INTO v_topic_count, v_candidates, v_topic_id
        FROM best b JOIN topics t ON t.id = b.id JOIN units u ON u.id = t.unit_id;
        IF v_topic_count <> 1 THEN
            RETURN QUERY SELECT true, true, COALESCE(v_candidates, '{}'::TEXT[]), NULL::TEXT, NULL::TEXT, NULL::TEXT,
                                NULL::BOOLEAN, NULL::DOUBLE PRECISION, NULL::DOUBLE PRECISION,
                                NULL::DOUBLE PRECISION, NULL::JSON;
            RETURN;
        END IF;
    END IF;

    SELECT t.code, t.domain_id, sd.code,
           CASE WHEN sd.code IS NULL THEN 'UNKNOWN' ELSE COALESCE(d.code, '') || '_' || sd.code END
    INTO v_topic_code, v_domain_id, v_subdomain_code, v_routing_key
    FROM topics t
    LEFT JOIN subdomains sd ON sd.id = t.subdomain_id
    LEFT JOIN domains d ON d.id = t.domain_id
    WHERE t.id = v_topic_id;

    SELECT c.tag, c.correct, c.confidence INTO v_tag, v_correct, v_confidence
    FROM unnest(p_candidate_keys, p_candidate_tags, p_candidate_correct, p_candidate_confidence)
         AS c(routing_key, tag, correct, confidence)
    WHERE c.routing_key IN (v_routing_key, '*')
    ORDER BY c.routing_key = '*'
    LIMIT 1;
    v_status := CASE WHEN v_tag = 'UNCLASSIFIED' THEN 'PENDING' ELSE 'CLASSIFIED' END;
    v_source := CASE WHEN v_tag = 'UNCLASSIFIED' THEN 'LLM' ELSE 'RULE' END;

    INSERT INTO attempts (id, exercise_id, student_id, course_id, input_mode, status, final_answer, is_correct,
                          classifier_source, error_tag_id, confidence, trace_id, classified_at, updated_at)
    VALUES (p_attempt_id, p_exercise_id, p_student_id, p_course_id, 'DIGITAL', v_status, p_final_answer, v_correct,
            v_source, (SELECT et.id FROM error_tags et WHERE et.code = v_tag), v_confidence, p_trace_id,
            CASE WHEN v_status = 'CLASSIFIED' THEN now() END, now());

    INSERT INTO attempt_steps (attempt_id, step_index, content_latex, is_correct)
    SELECT p_attempt_id, s.position - 1, s.expression, CASE WHEN s.is_final THEN v_correct END
    FROM unnest(p_step_expressions, p_step_final) WITH ORDINALITY AS s(expression, is_final, position);

    SELECT b.mastery_p_known, b.mastery_trend_7d INTO v_p_known, v_trend
    FROM apply_bkt_observation(p_attempt_id, p_student_id, v_topic_id, v_correct) b;

    WITH queued AS (
        INSERT INTO attempt_outbox (attempt_id, queue, body, trace_id, group_id, deduplication_id,
                                    claimed_until, publish_attempts)
        SELECT p_attempt_id, 'attempt_stream', p_stream_body, p_trace_id, p_student_id, p_attempt_id,
               now() + make_interval(secs => p_lease_seconds), 1
        WHERE p_stream_body IS NOT NULL
        UNION ALL
        SELECT p_attempt_id, 'llm_classify',
               p_llm_body || jsonb_build_object('topic', v_topic_code, 'domain_id', v_domain_id,
                                                'subdomain_code', v_subdomain_code,
                                                'problem_statement', COALESCE(v_prompt, p_fallback_statement)),
               p_trace_id, NULL, NULL, now() + make_interval(secs => p_lease_seconds), 1
        WHERE v_tag = 'UNCLASSIFIED' AND p_llm_body IS NOT NULL
        RETURNING attempt_outbox.queue, attempt_outbox.body, attempt_outbox.trace_id, attempt_outbox.group_id,
                  attempt_outbox.deduplication_id
    )
    SELECT json_agg(json_build_object('queue', q.queue, 'body', q.body, 'trace_id', q.trace_id,
                                      'group_id', q.group_id, 'deduplication_id', q.deduplication_id))
    INTO v_outbox
    FROM queued q;

    RETURN QUERY SELECT true, true, NULL::TEXT[], v_status, v_source, v_tag, v_correct, v_confidence, v_p_known,
                        v_trend, v_outbox;
END
$$;
