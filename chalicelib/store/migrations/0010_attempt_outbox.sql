-- 0010_attempt_outbox: the messages an attempt still owes to its queues (transactional outbox).
--
-- POST /attempts and POST /attempts/solve-adhoc write these rows in the same statement as the
-- attempt, publish after the commit and delete the rows that were sent. A row that is still here
-- was not (or not yet) published: GET /attempts/:id/status and the `republish-outbox` command send
-- it again with the same body, trace id, group id and deduplication id (= the attempt id), so
-- nothing is lost and nothing is sent twice under another id.
--
-- claimed_until is a lease: the writer owns a fresh row for 30 s (its own publish is in flight);
-- a re-publisher takes only rows whose lease has run out, so two publishers never send one row at
-- the same time, and a row whose request died between commit and publish is picked up later.

CREATE TABLE attempt_outbox (
    attempt_id        TEXT           NOT NULL,
    queue             TEXT           NOT NULL,   -- a key of chalicelib.resources.QUEUES
    body              JSONB          NOT NULL,   -- the message body exactly as it is sent
    trace_id          TEXT           NOT NULL,   -- sent as the trace_id message attribute
    group_id          TEXT,                      -- FIFO MessageGroupId (the student id)
    deduplication_id  TEXT,                      -- FIFO MessageDeduplicationId (the attempt id)
    created_at        TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    claimed_until     TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    publish_attempts  INTEGER        NOT NULL DEFAULT 0,
    last_error        TEXT,
    CONSTRAINT attempt_outbox_pkey PRIMARY KEY (attempt_id, queue),
    CONSTRAINT attempt_outbox_attempt_id_fkey FOREIGN KEY (attempt_id)
        REFERENCES attempts (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX attempt_outbox_claimed_until_idx ON attempt_outbox (claimed_until);
