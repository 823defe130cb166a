-- 0040_document_store: the PostgreSQL JSONB adapter of the document store (workers.md §8,
-- DECISIONS.md §5), the default wherever MONGODB_URI is unset.
--
-- One table per MongoDB collection. A row holds the document's fields in `document` (JSONB; dates
-- as {"$date": "<ISO-8601 Z>"}, chalicelib/documents/encoding.py) and its `_id`, `createdAt` and
-- `updatedAt` in typed columns, so range queries and sorts use real timestamps. Ids are
-- ObjectId-shaped (24 hex characters: 4 bytes of epoch seconds, 8 random bytes), like the ids
-- MongoDB hands out, so callers never see which adapter is active.
-- The indexes mirror the MongoDB indexes of §8 as expression indexes on the JSONB fields.

CREATE FUNCTION document_object_id() RETURNS TEXT
    LANGUAGE sql VOLATILE PARALLEL SAFE AS
$$
    SELECT lpad(to_hex(floor(extract(epoch FROM clock_timestamp()))::bigint), 8, '0')
           || substr(md5(gen_random_uuid()::text), 1, 16)
$$;

-- attempt_events (§8.1): one document per attempt.
CREATE TABLE attempt_events (
    id          TEXT           NOT NULL DEFAULT document_object_id(),
    document    JSONB          NOT NULL,
    created_at  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT attempt_events_pkey PRIMARY KEY (id),
    CONSTRAINT attempt_events_attempt_id_present CHECK (document ? 'attempt_id')
);
CREATE UNIQUE INDEX attempt_events_attempt_id_key ON attempt_events ((document ->> 'attempt_id'));
CREATE INDEX attempt_events_student_id_idx ON attempt_events ((document ->> 'student_id'));
CREATE INDEX attempt_events_trace_id_idx ON attempt_events ((document ->> 'trace_id'));
-- The archival scan (createdAt < t AND archived_to_s3_at IS NULL, oldest first): a partial index
-- holds only the documents still waiting, so it stays small once the backlog is drained.
CREATE INDEX attempt_events_created_at_unarchived_idx ON attempt_events (created_at, id)
    WHERE (document ->> 'archived_to_s3_at') IS NULL;

-- llm_classification_jobs (§8.2): one audit document per model call.
CREATE TABLE llm_classification_jobs (
    id          TEXT           NOT NULL DEFAULT document_object_id(),
    document    JSONB          NOT NULL,
    created_at  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT llm_classification_jobs_pkey PRIMARY KEY (id)
);
CREATE INDEX llm_classification_jobs_status_idx ON llm_classification_jobs ((document ->> 'status'));
CREATE INDEX llm_classification_jobs_trace_id_idx ON llm_classification_jobs ((document ->> 'trace_id'));
CREATE INDEX llm_classification_jobs_created_at_idx ON llm_classification_jobs (created_at);

-- ocr_jobs (§8.3): one document per uploaded photo.
CREATE TABLE ocr_jobs (
    id          TEXT           NOT NULL DEFAULT document_object_id(),
    document    JSONB          NOT NULL,
    created_at  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT ocr_jobs_pkey PRIMARY KEY (id),
    CONSTRAINT ocr_jobs_upload_id_present CHECK (document ? 'upload_id')
);
CREATE UNIQUE INDEX ocr_jobs_upload_id_key ON ocr_jobs ((document ->> 'upload_id'));
CREATE INDEX ocr_jobs_student_id_idx ON ocr_jobs ((document ->> 'student_id'));
CREATE INDEX ocr_jobs_status_idx ON ocr_jobs ((document ->> 'status'));
CREATE INDEX ocr_jobs_created_at_idx ON ocr_jobs (created_at);
