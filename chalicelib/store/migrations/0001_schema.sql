-- 0001_schema: the whole relational model of data-model.md in its final (post-v9) state.
--
-- Names (tables, columns, enum types, keys, indexes, constraints) are exactly those of the
-- production database, so the backend can run against it unchanged. Deliberate fixes of the spec's
-- "database traps" (product owner's decision, issue #2):
--   * every id column defaults to gen_random_uuid()::text (the application may still supply one;
--     seed rows use readable ids), and so do the three trace_id columns;
--   * every updated_at defaults to now() (the application still bumps it on update);
--   * every timestamp is TIMESTAMPTZ(3): production's TIMESTAMP(3) columns hold UTC anyway;
--   * array columns stay nullable but default to '{}';
--   * plus the alert dedup unique index of DECISIONS.md §4 (teacher_alerts_dedup_key).
-- Not created: row-level security and its policies (the API connects as the owner), and the ORM's
-- _prisma_migrations table (schema_migrations is ours).
--
-- Unique keys are unique indexes, as the ORM created them in production: use
-- ON CONFLICT (columns), never ON CONFLICT ON CONSTRAINT.
-- Foreign keys: always ON UPDATE CASCADE; ON DELETE RESTRICT for required references, SET NULL for
-- optional ones, CASCADE for the two implicit join tables. Id-like columns listed in data-model.md §6
-- deliberately have no foreign key.
-- Areas are ordered so that every referenced table exists before its referrers.


-- =============================================================================================
-- Enum types (data-model.md §2.1). Values in their production order.
-- =============================================================================================

CREATE TYPE "ErrorSource" AS ENUM ('CURATED', 'LLM_GENERATED', 'FIELD_REPORTED');
CREATE TYPE "ErrorStatus" AS ENUM ('ACTIVE', 'DRAFT', 'DEPRECATED');
CREATE TYPE "ErrorSeverity" AS ENUM ('LOW', 'MED', 'HIGH', 'CRITICAL');
CREATE TYPE "GuideStatus" AS ENUM (
    'UPLOADED', 'EXTRACTING', 'EXTRACTION_FAILED', 'GENERATING_SOLUTIONS', 'GENERATION_FAILED',
    'REVIEW', 'PUBLISHED', 'ARCHIVED'
);
CREATE TYPE "GuideQuestionStatus" AS ENUM ('EXTRACTED', 'NEEDS_REVIEW', 'APPROVED', 'EXCLUDED');
CREATE TYPE "SolutionSource" AS ENUM ('PDF_PROVIDED', 'LLM_GENERATED', 'TEACHER_EDITED');
CREATE TYPE "SubmissionStatus" AS ENUM ('UPLOADED', 'TRANSCRIBING', 'GRADING', 'GRADED', 'FAILED');


-- =============================================================================================
-- Identity (§3.1): one users row per login; business identity in the role profile tables.
-- =============================================================================================

CREATE TABLE users (
    id                          TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    supabase_uid                TEXT,
    email                       TEXT           NOT NULL,
    auth_role                   TEXT,
    full_name                   TEXT,
    locale                      TEXT           NOT NULL DEFAULT 'es-CL',
    password_hash               TEXT,
    password_reset_token_hash   TEXT,
    password_reset_expires_at   TIMESTAMPTZ(3),
    token_version               INTEGER        NOT NULL DEFAULT 0,
    created_at                  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                  TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    deleted_at                  TIMESTAMPTZ(3),
    CONSTRAINT users_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX users_supabase_uid_key ON users (supabase_uid);
-- Case-sensitive on purpose: Supabase linking stores the token's e-mail as is.
CREATE UNIQUE INDEX users_email_key ON users (email);

CREATE TABLE teachers (
    id            TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    user_id       TEXT           NOT NULL,
    display_name  TEXT,
    bio           TEXT,
    created_at    TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT teachers_pkey PRIMARY KEY (id),
    CONSTRAINT teachers_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX teachers_user_id_key ON teachers (user_id);

CREATE TABLE students (
    id              TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    user_id         TEXT,          -- null until a roster-synced student activates an account
    external_email  TEXT,
    display_name    TEXT           NOT NULL,
    birth_year      INTEGER,
    created_at      TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at      TIMESTAMPTZ(3),
    CONSTRAINT students_pkey PRIMARY KEY (id),
    CONSTRAINT students_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX students_user_id_key ON students (user_id);

CREATE TABLE parents (
    id            TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    user_id       TEXT           NOT NULL,
    display_name  TEXT,
    created_at    TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT parents_pkey PRIMARY KEY (id),
    CONSTRAINT parents_user_id_fkey FOREIGN KEY (user_id)
        REFERENCES users (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX parents_user_id_key ON parents (user_id);

-- Only links with confirmed_at set are honoured by the API (consent).
CREATE TABLE parent_links (
    parent_id     TEXT           NOT NULL,
    student_id    TEXT           NOT NULL,
    relationship  TEXT           NOT NULL,
    confirmed_at  TIMESTAMPTZ(3),
    CONSTRAINT parent_links_pkey PRIMARY KEY (parent_id, student_id),
    CONSTRAINT parent_links_parent_id_fkey FOREIGN KEY (parent_id)
        REFERENCES parents (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT parent_links_student_id_fkey FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE RESTRICT ON UPDATE CASCADE
);


-- =============================================================================================
-- Error taxonomy vocabulary (§3.4): domains and subdomains. The rule-engine routing key is
-- <domain.code>_<subdomain.code>. (error_tags follows the curriculum, below.)
-- =============================================================================================

CREATE TABLE domains (
    id           TEXT NOT NULL DEFAULT gen_random_uuid()::text,
    code         TEXT NOT NULL,
    name         TEXT NOT NULL,
    description  TEXT,
    CONSTRAINT domains_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX domains_code_key ON domains (code);

CREATE TABLE subdomains (
    id         TEXT NOT NULL DEFAULT gen_random_uuid()::text,
    domain_id  TEXT NOT NULL,
    code       TEXT NOT NULL,
    name       TEXT NOT NULL,
    CONSTRAINT subdomains_pkey PRIMARY KEY (id),
    CONSTRAINT subdomains_domain_id_fkey FOREIGN KEY (domain_id)
        REFERENCES domains (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX subdomains_domain_id_code_key ON subdomains (domain_id, code);
CREATE INDEX subdomains_domain_id_idx ON subdomains (domain_id);


-- =============================================================================================
-- Curriculum (§3.3): subject → curriculum → unit → topic (the unit of mastery tracking).
-- =============================================================================================

CREATE TABLE subjects (
    id        TEXT NOT NULL DEFAULT gen_random_uuid()::text,
    code      TEXT NOT NULL,
    name      TEXT NOT NULL,
    language  TEXT NOT NULL DEFAULT 'es',
    CONSTRAINT subjects_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX subjects_code_key ON subjects (code);

CREATE TABLE curricula (
    id              TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    subject_id      TEXT           NOT NULL,
    country         TEXT           NOT NULL DEFAULT 'CL',
    name            TEXT           NOT NULL,
    version         TEXT           NOT NULL DEFAULT '1.0',
    effective_from  TIMESTAMPTZ(3),
    effective_to    TIMESTAMPTZ(3),
    CONSTRAINT curricula_pkey PRIMARY KEY (id),
    CONSTRAINT curricula_subject_id_fkey FOREIGN KEY (subject_id)
        REFERENCES subjects (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX curricula_subject_id_country_version_key ON curricula (subject_id, country, version);

CREATE TABLE units (
    id             TEXT    NOT NULL DEFAULT gen_random_uuid()::text,
    curriculum_id  TEXT    NOT NULL,
    grade_level    INTEGER NOT NULL,
    sequence       INTEGER NOT NULL,
    code           TEXT    NOT NULL,   -- e.g. U3-5B-FRACCIONES, or a domain code for taxonomy units
    name           TEXT    NOT NULL,
    description    TEXT,
    CONSTRAINT units_pkey PRIMARY KEY (id),
    CONSTRAINT units_curriculum_id_fkey FOREIGN KEY (curriculum_id)
        REFERENCES curricula (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX units_curriculum_id_code_key ON units (curriculum_id, code);
CREATE INDEX units_curriculum_id_grade_level_sequence_idx ON units (curriculum_id, grade_level, sequence);

CREATE TABLE topics (
    id                 TEXT             NOT NULL DEFAULT gen_random_uuid()::text,
    unit_id            TEXT             NOT NULL,
    subdomain_id       TEXT,
    domain_id          TEXT,
    code               TEXT             NOT NULL,   -- unique per unit only (SUB, ADD… repeat)
    name               TEXT             NOT NULL,
    description        TEXT,
    bkt_p_l0           DOUBLE PRECISION NOT NULL DEFAULT 0.3,
    bkt_p_transit      DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    bkt_p_slip         DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    bkt_p_guess        DOUBLE PRECISION NOT NULL DEFAULT 0.2,
    bkt_calibrated_at  TIMESTAMPTZ(3),
    CONSTRAINT topics_pkey PRIMARY KEY (id),
    CONSTRAINT topics_unit_id_fkey FOREIGN KEY (unit_id)
        REFERENCES units (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT topics_subdomain_id_fkey FOREIGN KEY (subdomain_id)
        REFERENCES subdomains (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT topics_domain_id_fkey FOREIGN KEY (domain_id)
        REFERENCES domains (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX topics_unit_id_code_key ON topics (unit_id, code);
CREATE INDEX topics_subdomain_id_idx ON topics (subdomain_id);
CREATE INDEX topics_domain_id_idx ON topics (domain_id);

CREATE TABLE topic_prerequisites (
    topic_id               TEXT NOT NULL,
    prerequisite_topic_id  TEXT NOT NULL,
    CONSTRAINT topic_prerequisites_pkey PRIMARY KEY (topic_id, prerequisite_topic_id),
    CONSTRAINT topic_prerequisites_topic_id_fkey FOREIGN KEY (topic_id)
        REFERENCES topics (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT topic_prerequisites_prerequisite_topic_id_fkey FOREIGN KEY (prerequisite_topic_id)
        REFERENCES topics (id) ON DELETE RESTRICT ON UPDATE CASCADE
);

-- National curriculum learning objectives (e.g. "MA05 OA 01").
CREATE TABLE official_oa_codes (
    id           TEXT    NOT NULL DEFAULT gen_random_uuid()::text,
    code         TEXT    NOT NULL,
    description  TEXT    NOT NULL,
    grade        INTEGER NOT NULL,
    CONSTRAINT official_oa_codes_pkey PRIMARY KEY (id)
);
CREATE UNIQUE INDEX official_oa_codes_code_key ON official_oa_codes (code);
CREATE INDEX official_oa_codes_grade_idx ON official_oa_codes (grade);

-- Implicit many-to-many join table of the ORM: "A" = official_oa_codes.id, "B" = topics.id.
CREATE TABLE "_OfficialOACodeToTopic" (
    "A"  TEXT NOT NULL,
    "B"  TEXT NOT NULL,
    CONSTRAINT "_OfficialOACodeToTopic_AB_pkey" PRIMARY KEY ("A", "B"),
    CONSTRAINT "_OfficialOACodeToTopic_A_fkey" FOREIGN KEY ("A")
        REFERENCES official_oa_codes (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "_OfficialOACodeToTopic_B_fkey" FOREIGN KEY ("B")
        REFERENCES topics (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "_OfficialOACodeToTopic_B_index" ON "_OfficialOACodeToTopic" ("B");


-- =============================================================================================
-- Error catalog (§3.4). CORRECT and UNCLASSIFIED are reserved rows with no domain.
-- =============================================================================================

CREATE TABLE error_tags (
    id                 TEXT            NOT NULL DEFAULT gen_random_uuid()::text,
    code               TEXT            NOT NULL,
    name               TEXT            NOT NULL DEFAULT '',
    topic_scope        TEXT,
    description        TEXT            NOT NULL,
    domain_id          TEXT,
    subdomain_code     TEXT,           -- a code within domain_id, not a foreign key
    source             "ErrorSource"   NOT NULL DEFAULT 'CURATED',
    status             "ErrorStatus"   NOT NULL DEFAULT 'ACTIVE',
    severity           "ErrorSeverity" NOT NULL DEFAULT 'MED',
    applicable_grades  INTEGER[]       DEFAULT '{}',
    evidence_required  TEXT[]          DEFAULT '{}',
    diagnostic_hint    TEXT,
    remediation        TEXT,
    "references"       TEXT[]          DEFAULT '{}',
    deprecated_by_id   TEXT,
    created_at         TIMESTAMPTZ(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at         TIMESTAMPTZ(3)  NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT error_tags_pkey PRIMARY KEY (id),
    CONSTRAINT error_tags_domain_id_fkey FOREIGN KEY (domain_id)
        REFERENCES domains (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT error_tags_deprecated_by_id_fkey FOREIGN KEY (deprecated_by_id)
        REFERENCES error_tags (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX error_tags_code_key ON error_tags (code);
CREATE INDEX error_tags_domain_id_status_idx ON error_tags (domain_id, status);
CREATE INDEX error_tags_source_idx ON error_tags (source);


-- =============================================================================================
-- Organisation & courses (§3.2). course_teachers is the ownership rule for courses and guides.
-- =============================================================================================

CREATE TABLE organizations (
    id             TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    name           TEXT           NOT NULL,
    country        TEXT           NOT NULL DEFAULT 'CL',
    billing_email  TEXT,
    plan           TEXT           NOT NULL DEFAULT 'FREE',
    created_at     TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT organizations_pkey PRIMARY KEY (id)
);

CREATE TABLE schools (
    id               TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    organization_id  TEXT           NOT NULL,
    name             TEXT           NOT NULL,
    rbd              TEXT,          -- Chilean school registry number
    city             TEXT,
    region           TEXT,
    domain           TEXT,          -- e-mail domain for auto-assignment
    created_at       TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT schools_pkey PRIMARY KEY (id),
    CONSTRAINT schools_organization_id_fkey FOREIGN KEY (organization_id)
        REFERENCES organizations (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX schools_rbd_key ON schools (rbd);
CREATE INDEX schools_organization_id_idx ON schools (organization_id);
CREATE INDEX schools_domain_idx ON schools (domain);

CREATE TABLE courses (
    id             TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    school_id      TEXT           NOT NULL,
    subject_id     TEXT           NOT NULL,
    name           TEXT           NOT NULL,
    grade_level    INTEGER        NOT NULL,   -- 1–12 (9–12 = I–IV medio)
    letter         TEXT,
    academic_year  INTEGER        NOT NULL,
    external_id    TEXT,
    created_at     TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    archived_at    TIMESTAMPTZ(3),
    CONSTRAINT courses_pkey PRIMARY KEY (id),
    CONSTRAINT courses_school_id_fkey FOREIGN KEY (school_id)
        REFERENCES schools (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT courses_subject_id_fkey FOREIGN KEY (subject_id)
        REFERENCES subjects (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX courses_school_id_academic_year_idx ON courses (school_id, academic_year);
CREATE INDEX courses_subject_id_idx ON courses (subject_id);

CREATE TABLE course_teachers (
    course_id   TEXT           NOT NULL,
    teacher_id  TEXT           NOT NULL,
    role        TEXT           NOT NULL DEFAULT 'LEAD',
    added_at    TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT course_teachers_pkey PRIMARY KEY (course_id, teacher_id),
    CONSTRAINT course_teachers_course_id_fkey FOREIGN KEY (course_id)
        REFERENCES courses (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT course_teachers_teacher_id_fkey FOREIGN KEY (teacher_id)
        REFERENCES teachers (id) ON DELETE RESTRICT ON UPDATE CASCADE
);

CREATE TABLE enrollments (
    id          TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    course_id   TEXT           NOT NULL,
    student_id  TEXT           NOT NULL,
    status      TEXT           NOT NULL DEFAULT 'ACTIVE',
    joined_at   TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    left_at     TIMESTAMPTZ(3),
    CONSTRAINT enrollments_pkey PRIMARY KEY (id),
    CONSTRAINT enrollments_course_id_fkey FOREIGN KEY (course_id)
        REFERENCES courses (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT enrollments_student_id_fkey FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX enrollments_course_id_student_id_key ON enrollments (course_id, student_id);
CREATE INDEX enrollments_student_id_idx ON enrollments (student_id);

-- A reusable join code with optional expiry and use limit.
CREATE TABLE classroom_invites (
    id          TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    code        TEXT           NOT NULL,   -- the join code (application-generated)
    course_id   TEXT           NOT NULL,
    created_by  TEXT           NOT NULL,   -- a teachers.id, no foreign key
    expires_at  TIMESTAMPTZ(3),
    max_uses    INTEGER,
    use_count   INTEGER        NOT NULL DEFAULT 0,
    created_at  TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT classroom_invites_pkey PRIMARY KEY (id),
    CONSTRAINT classroom_invites_course_id_fkey FOREIGN KEY (course_id)
        REFERENCES courses (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX classroom_invites_code_key ON classroom_invites (code);
-- Redundant with the unique index, but it exists in production.
CREATE INDEX classroom_invites_code_idx ON classroom_invites (code);
CREATE INDEX classroom_invites_course_id_idx ON classroom_invites (course_id);


-- =============================================================================================
-- Exercises, assignments & attempts (§3.5).
-- =============================================================================================

CREATE TABLE exercises (
    id                     TEXT             NOT NULL DEFAULT gen_random_uuid()::text,
    topic_id               TEXT             NOT NULL,
    source                 TEXT             NOT NULL DEFAULT 'SYSTEM',
    created_by_teacher_id  TEXT,            -- a teachers.id, no foreign key
    content                JSONB            NOT NULL,
    language               TEXT             NOT NULL DEFAULT 'es',
    irt_a                  DOUBLE PRECISION NOT NULL DEFAULT 1.0,
    irt_b                  DOUBLE PRECISION NOT NULL DEFAULT 0.0,
    irt_calibrated_at      TIMESTAMPTZ(3),
    status                 TEXT             NOT NULL DEFAULT 'ACTIVE',
    created_at             TIMESTAMPTZ(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT exercises_pkey PRIMARY KEY (id),
    CONSTRAINT exercises_topic_id_fkey FOREIGN KEY (topic_id)
        REFERENCES topics (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX exercises_topic_id_source_idx ON exercises (topic_id, source);
CREATE INDEX exercises_topic_id_status_idx ON exercises (topic_id, status);

-- Implicit many-to-many: "A" = error_tags.id, "B" = exercises.id (errors an exercise surfaces).
CREATE TABLE "_ExerciseTargetErrors" (
    "A"  TEXT NOT NULL,
    "B"  TEXT NOT NULL,
    CONSTRAINT "_ExerciseTargetErrors_AB_pkey" PRIMARY KEY ("A", "B"),
    CONSTRAINT "_ExerciseTargetErrors_A_fkey" FOREIGN KEY ("A")
        REFERENCES error_tags (id) ON DELETE CASCADE ON UPDATE CASCADE,
    CONSTRAINT "_ExerciseTargetErrors_B_fkey" FOREIGN KEY ("B")
        REFERENCES exercises (id) ON DELETE CASCADE ON UPDATE CASCADE
);
CREATE INDEX "_ExerciseTargetErrors_B_index" ON "_ExerciseTargetErrors" ("B");

CREATE TABLE assignments (
    id                     TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    course_id              TEXT,          -- set = the whole course
    created_by_teacher_id  TEXT           NOT NULL,
    title                  TEXT           NOT NULL,
    reason                 TEXT           NOT NULL,
    kind                   TEXT           NOT NULL DEFAULT 'EXERCISES',
    due_at                 TIMESTAMPTZ(3),
    created_at             TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT assignments_pkey PRIMARY KEY (id),
    CONSTRAINT assignments_course_id_fkey FOREIGN KEY (course_id)
        REFERENCES courses (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT assignments_created_by_teacher_id_fkey FOREIGN KEY (created_by_teacher_id)
        REFERENCES teachers (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX assignments_course_id_idx ON assignments (course_id);
CREATE INDEX assignments_created_by_teacher_id_idx ON assignments (created_by_teacher_id);

CREATE TABLE assignment_targets (
    assignment_id  TEXT NOT NULL,
    student_id     TEXT NOT NULL,
    status         TEXT NOT NULL DEFAULT 'PENDING',
    CONSTRAINT assignment_targets_pkey PRIMARY KEY (assignment_id, student_id),
    CONSTRAINT assignment_targets_assignment_id_fkey FOREIGN KEY (assignment_id)
        REFERENCES assignments (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT assignment_targets_student_id_fkey FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX assignment_targets_student_id_idx ON assignment_targets (student_id);

-- Keyed by position: the same exercise may appear twice in an assignment.
CREATE TABLE assignment_exercises (
    assignment_id  TEXT    NOT NULL,
    exercise_id    TEXT    NOT NULL,
    sequence       INTEGER NOT NULL,   -- 0-based order
    CONSTRAINT assignment_exercises_pkey PRIMARY KEY (assignment_id, sequence),
    CONSTRAINT assignment_exercises_assignment_id_fkey FOREIGN KEY (assignment_id)
        REFERENCES assignments (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT assignment_exercises_exercise_id_fkey FOREIGN KEY (exercise_id)
        REFERENCES exercises (id) ON DELETE RESTRICT ON UPDATE CASCADE
);

-- One graded answer; status and error tag are completed asynchronously.
CREATE TABLE attempts (
    id                 TEXT             NOT NULL DEFAULT gen_random_uuid()::text,
    assignment_id      TEXT,
    exercise_id        TEXT,
    student_id         TEXT             NOT NULL,
    course_id          TEXT,
    input_mode         TEXT             NOT NULL DEFAULT 'DIGITAL',
    status             TEXT             NOT NULL DEFAULT 'PENDING',
    final_answer       TEXT,
    is_correct         BOOLEAN          NOT NULL,   -- no default: every writer must decide
    classifier_source  TEXT             NOT NULL DEFAULT 'RULE',
    error_tag_id       TEXT,
    confidence         DOUBLE PRECISION,
    ocr_confidence     DOUBLE PRECISION,
    ocr_provider       TEXT,
    llm_job_id         TEXT,            -- document-store id, no foreign key
    trace_id           TEXT             NOT NULL DEFAULT gen_random_uuid()::text,
    created_at         TIMESTAMPTZ(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    classified_at      TIMESTAMPTZ(3),
    updated_at         TIMESTAMPTZ(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT attempts_pkey PRIMARY KEY (id),
    CONSTRAINT attempts_assignment_id_fkey FOREIGN KEY (assignment_id)
        REFERENCES assignments (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT attempts_exercise_id_fkey FOREIGN KEY (exercise_id)
        REFERENCES exercises (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT attempts_student_id_fkey FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT attempts_course_id_fkey FOREIGN KEY (course_id)
        REFERENCES courses (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT attempts_error_tag_id_fkey FOREIGN KEY (error_tag_id)
        REFERENCES error_tags (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX attempts_student_id_idx ON attempts (student_id);
CREATE INDEX attempts_course_id_idx ON attempts (course_id);
CREATE INDEX attempts_exercise_id_created_at_idx ON attempts (exercise_id, created_at);
CREATE INDEX attempts_error_tag_id_idx ON attempts (error_tag_id);

CREATE TABLE attempt_steps (
    id             TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    attempt_id     TEXT           NOT NULL,
    step_index     INTEGER        NOT NULL,   -- 0-based
    content_latex  TEXT           NOT NULL,
    duration_ms    INTEGER,
    is_correct     BOOLEAN,       -- set only on the final step
    error_subtag   TEXT,
    error_tag_id   TEXT,          -- step-level tag
    created_at     TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT attempt_steps_pkey PRIMARY KEY (id),
    CONSTRAINT attempt_steps_attempt_id_fkey FOREIGN KEY (attempt_id)
        REFERENCES attempts (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT attempt_steps_error_tag_id_fkey FOREIGN KEY (error_tag_id)
        REFERENCES error_tags (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX attempt_steps_attempt_id_step_index_key ON attempt_steps (attempt_id, step_index);
CREATE INDEX attempt_steps_error_tag_id_idx ON attempt_steps (error_tag_id);

-- Field feedback: the tag a user believes is right; the attempt itself is not changed.
CREATE TABLE attempt_error_reports (
    id              TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    attempt_id      TEXT           NOT NULL,
    error_tag_id    TEXT           NOT NULL,
    reported_by_id  TEXT,
    comment         TEXT,
    source          "ErrorSource"  NOT NULL DEFAULT 'FIELD_REPORTED',
    created_at      TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT attempt_error_reports_pkey PRIMARY KEY (id),
    CONSTRAINT attempt_error_reports_attempt_id_fkey FOREIGN KEY (attempt_id)
        REFERENCES attempts (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT attempt_error_reports_error_tag_id_fkey FOREIGN KEY (error_tag_id)
        REFERENCES error_tags (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT attempt_error_reports_reported_by_id_fkey FOREIGN KEY (reported_by_id)
        REFERENCES users (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX attempt_error_reports_attempt_id_idx ON attempt_error_reports (attempt_id);
CREATE INDEX attempt_error_reports_error_tag_id_idx ON attempt_error_reports (error_tag_id);


-- =============================================================================================
-- Mastery & alerts (§3.6).
-- =============================================================================================

-- One BKT record per student × topic; the backend is the single writer of p_known.
CREATE TABLE student_topic_mastery (
    student_id       TEXT             NOT NULL,
    topic_id         TEXT             NOT NULL,
    p_known          DOUBLE PRECISION NOT NULL DEFAULT 0.3,
    p_slip           DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    p_guess          DOUBLE PRECISION NOT NULL DEFAULT 0.2,
    p_transit        DOUBLE PRECISION NOT NULL DEFAULT 0.1,
    attempts_count   INTEGER          NOT NULL DEFAULT 0,
    last_attempt_at  TIMESTAMPTZ(3),
    trend_7d         DOUBLE PRECISION,
    updated_at       TIMESTAMPTZ(3)   NOT NULL DEFAULT now(),
    CONSTRAINT student_topic_mastery_pkey PRIMARY KEY (student_id, topic_id),
    CONSTRAINT student_topic_mastery_student_id_fkey FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT student_topic_mastery_topic_id_fkey FOREIGN KEY (topic_id)
        REFERENCES topics (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE INDEX student_topic_mastery_topic_id_idx ON student_topic_mastery (topic_id);
CREATE INDEX student_topic_mastery_last_attempt_at_idx ON student_topic_mastery (last_attempt_at);

CREATE TABLE teacher_alerts (
    id           TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    teacher_id   TEXT           NOT NULL,
    course_id    TEXT           NOT NULL,
    topic_id     TEXT,
    student_id   TEXT,          -- a students.id, no foreign key
    alert_type   TEXT           NOT NULL,
    severity     TEXT           NOT NULL DEFAULT 'MED',
    payload      JSONB          NOT NULL,   -- no default (the API writes {} when absent)
    created_at   TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    resolved_at  TIMESTAMPTZ(3),            -- null = active
    resolved_by  TEXT,          -- no foreign key
    CONSTRAINT teacher_alerts_pkey PRIMARY KEY (id),
    CONSTRAINT teacher_alerts_teacher_id_fkey FOREIGN KEY (teacher_id)
        REFERENCES teachers (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT teacher_alerts_course_id_fkey FOREIGN KEY (course_id)
        REFERENCES courses (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT teacher_alerts_topic_id_fkey FOREIGN KEY (topic_id)
        REFERENCES topics (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE INDEX teacher_alerts_teacher_id_resolved_at_idx ON teacher_alerts (teacher_id, resolved_at);
CREATE INDEX teacher_alerts_course_id_alert_type_created_at_idx
    ON teacher_alerts (course_id, alert_type, created_at);
-- DECISIONS.md §4: at most one generated alert per teacher, type, course, subject of the alert
-- (payload.dedup_ref: a student, topic, unit, guide or "<question>:<code>") and UTC day, resolved
-- or not. The generator inserts with ON CONFLICT DO NOTHING, so concurrent or repeated runs never
-- duplicate. Alerts without dedup_ref (POST /alerts) are not constrained. The day expression is
-- IMMUTABLE because the zone is a constant ('UTC'), independent of the session's TimeZone.
CREATE UNIQUE INDEX teacher_alerts_dedup_key
    ON teacher_alerts (teacher_id, alert_type, course_id, (payload ->> 'dedup_ref'),
                       ((created_at AT TIME ZONE 'UTC')::date))
    WHERE payload ? 'dedup_ref';


-- =============================================================================================
-- Guides pipeline (§3.7): guide → questions → versioned solutions; submissions per question.
-- =============================================================================================

CREATE TABLE guides (
    id                         TEXT             NOT NULL DEFAULT gen_random_uuid()::text,
    course_id                  TEXT             NOT NULL,
    created_by_teacher_id      TEXT             NOT NULL,
    title                      TEXT             NOT NULL,
    description                TEXT,
    status                     "GuideStatus"    NOT NULL DEFAULT 'UPLOADED',
    source_pdf_key             TEXT             NOT NULL,
    source_pdf_pages           INTEGER,
    source_kind                TEXT,
    latex_key                  TEXT,
    extraction_confidence      DOUBLE PRECISION,
    extraction_model           TEXT,
    failure_reason             TEXT,
    question_count             INTEGER          NOT NULL DEFAULT 0,
    max_resubmissions          INTEGER          NOT NULL DEFAULT 2,
    show_solution_after_grade  BOOLEAN          NOT NULL DEFAULT false,
    assignment_id              TEXT,            -- set on publish
    due_at                     TIMESTAMPTZ(3),
    published_at               TIMESTAMPTZ(3),
    trace_id                   TEXT             NOT NULL DEFAULT gen_random_uuid()::text,
    created_at                 TIMESTAMPTZ(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                 TIMESTAMPTZ(3)   NOT NULL DEFAULT now(),
    archived_at                TIMESTAMPTZ(3),
    CONSTRAINT guides_pkey PRIMARY KEY (id),
    CONSTRAINT guides_course_id_fkey FOREIGN KEY (course_id)
        REFERENCES courses (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT guides_created_by_teacher_id_fkey FOREIGN KEY (created_by_teacher_id)
        REFERENCES teachers (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT guides_assignment_id_fkey FOREIGN KEY (assignment_id)
        REFERENCES assignments (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX guides_assignment_id_key ON guides (assignment_id);
CREATE INDEX guides_course_id_status_idx ON guides (course_id, status);
CREATE INDEX guides_created_by_teacher_id_idx ON guides (created_by_teacher_id);

CREATE TABLE guide_questions (
    id                       TEXT                  NOT NULL DEFAULT gen_random_uuid()::text,
    guide_id                 TEXT                  NOT NULL,
    sequence                 INTEGER               NOT NULL,
    label                    TEXT,
    statement_latex          TEXT                  NOT NULL,
    statement_json           JSONB,
    figure_keys              TEXT[]                DEFAULT '{}',
    provided_answer          TEXT,
    provided_solution_latex  TEXT,
    points                   DOUBLE PRECISION      NOT NULL DEFAULT 1.0,
    status                   "GuideQuestionStatus" NOT NULL DEFAULT 'EXTRACTED',
    topic_id                 TEXT,
    domain_id                TEXT,                 -- a domains.id, no foreign key
    subdomain_id             TEXT,                 -- a subdomains.id, no foreign key
    topic_confidence         DOUBLE PRECISION,
    topic_source             TEXT,
    exercise_id              TEXT,                 -- set on publish
    created_at               TIMESTAMPTZ(3)        NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at               TIMESTAMPTZ(3)        NOT NULL DEFAULT now(),
    CONSTRAINT guide_questions_pkey PRIMARY KEY (id),
    CONSTRAINT guide_questions_guide_id_fkey FOREIGN KEY (guide_id)
        REFERENCES guides (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT guide_questions_topic_id_fkey FOREIGN KEY (topic_id)
        REFERENCES topics (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT guide_questions_exercise_id_fkey FOREIGN KEY (exercise_id)
        REFERENCES exercises (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX guide_questions_guide_id_sequence_key ON guide_questions (guide_id, sequence);
CREATE UNIQUE INDEX guide_questions_exercise_id_key ON guide_questions (exercise_id);
CREATE INDEX guide_questions_topic_id_idx ON guide_questions (topic_id);

-- Versioned answer key; one row per question should be current (not enforced, as in production).
CREATE TABLE guide_solutions (
    id                     TEXT             NOT NULL DEFAULT gen_random_uuid()::text,
    guide_question_id      TEXT             NOT NULL,
    version                INTEGER          NOT NULL,
    is_current             BOOLEAN          NOT NULL DEFAULT true,
    source                 "SolutionSource" NOT NULL,   -- no default
    final_answer           TEXT             NOT NULL,
    steps_json             JSONB            NOT NULL,   -- canonical solution: the source of truth
    solution_latex         TEXT,
    expected_error_tags    TEXT[]           DEFAULT '{}',   -- error-tag codes
    generated_by_model     TEXT,
    prompt_version         TEXT,
    validation_notes       TEXT,
    created_by_teacher_id  TEXT,            -- a teachers.id, no foreign key
    created_at             TIMESTAMPTZ(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT guide_solutions_pkey PRIMARY KEY (id),
    CONSTRAINT guide_solutions_guide_question_id_fkey FOREIGN KEY (guide_question_id)
        REFERENCES guide_questions (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
CREATE UNIQUE INDEX guide_solutions_guide_question_id_version_key
    ON guide_solutions (guide_question_id, version);
CREATE INDEX guide_solutions_guide_question_id_is_current_idx
    ON guide_solutions (guide_question_id, is_current);

-- A student's photo submission for one question, one row per attempt number.
CREATE TABLE guide_submissions (
    id                        TEXT               NOT NULL DEFAULT gen_random_uuid()::text,
    guide_id                  TEXT               NOT NULL,
    guide_question_id         TEXT               NOT NULL,
    student_id                TEXT               NOT NULL,
    attempt_number            INTEGER            NOT NULL DEFAULT 1,
    status                    "SubmissionStatus" NOT NULL DEFAULT 'UPLOADED',
    photo_keys                TEXT[]             DEFAULT '{}',
    transcription_latex       TEXT,
    transcription_json        JSONB,
    transcription_confidence  DOUBLE PRECISION,
    alignment_json            JSONB,
    solution_version          INTEGER,
    score                     DOUBLE PRECISION,
    is_correct                BOOLEAN,
    attempt_id                TEXT,              -- the canonical graded record
    override_error_tag_id     TEXT,
    override_by_id            TEXT,              -- a teachers.id, no foreign key
    override_at               TIMESTAMPTZ(3),
    model_used                TEXT,
    failure_reason            TEXT,
    trace_id                  TEXT               NOT NULL DEFAULT gen_random_uuid()::text,
    graded_at                 TIMESTAMPTZ(3),
    created_at                TIMESTAMPTZ(3)     NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at                TIMESTAMPTZ(3)     NOT NULL DEFAULT now(),
    CONSTRAINT guide_submissions_pkey PRIMARY KEY (id),
    CONSTRAINT guide_submissions_guide_id_fkey FOREIGN KEY (guide_id)
        REFERENCES guides (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT guide_submissions_guide_question_id_fkey FOREIGN KEY (guide_question_id)
        REFERENCES guide_questions (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT guide_submissions_student_id_fkey FOREIGN KEY (student_id)
        REFERENCES students (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT guide_submissions_attempt_id_fkey FOREIGN KEY (attempt_id)
        REFERENCES attempts (id) ON DELETE SET NULL ON UPDATE CASCADE,
    CONSTRAINT guide_submissions_override_error_tag_id_fkey FOREIGN KEY (override_error_tag_id)
        REFERENCES error_tags (id) ON DELETE SET NULL ON UPDATE CASCADE
);
-- Name truncated to 63 characters, exactly as PostgreSQL did in production.
CREATE UNIQUE INDEX guide_submissions_guide_question_id_student_id_attempt_numb_key
    ON guide_submissions (guide_question_id, student_id, attempt_number);
CREATE UNIQUE INDEX guide_submissions_attempt_id_key ON guide_submissions (attempt_id);
CREATE INDEX guide_submissions_guide_id_student_id_idx ON guide_submissions (guide_id, student_id);
CREATE INDEX guide_submissions_status_idx ON guide_submissions (status);
CREATE INDEX guide_submissions_override_error_tag_id_idx ON guide_submissions (override_error_tag_id);


-- =============================================================================================
-- Integrations & cost (§3.8). Roster sync is designed, not built: no route uses the first two.
-- =============================================================================================

CREATE TABLE school_integrations (
    id                     TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    school_id              TEXT           NOT NULL,
    provider               TEXT           NOT NULL,
    status                 TEXT           NOT NULL DEFAULT 'DRAFT',
    cadence                TEXT           NOT NULL DEFAULT 'MANUAL',
    config                 JSONB          NOT NULL DEFAULT '{}',   -- tokens meant to be KMS-encrypted
    last_sync_at           TIMESTAMPTZ(3),
    last_sync_error        TEXT,
    created_by_teacher_id  TEXT,
    created_at             TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    updated_at             TIMESTAMPTZ(3) NOT NULL DEFAULT now(),
    CONSTRAINT school_integrations_pkey PRIMARY KEY (id),
    CONSTRAINT school_integrations_school_id_fkey FOREIGN KEY (school_id)
        REFERENCES schools (id) ON DELETE RESTRICT ON UPDATE CASCADE,
    CONSTRAINT school_integrations_created_by_teacher_id_fkey FOREIGN KEY (created_by_teacher_id)
        REFERENCES teachers (id) ON DELETE SET NULL ON UPDATE CASCADE
);
CREATE UNIQUE INDEX school_integrations_school_id_provider_key ON school_integrations (school_id, provider);
CREATE INDEX school_integrations_status_idx ON school_integrations (status);

-- External LMS id ↔ internal id, for idempotent re-sync.
CREATE TABLE external_id_maps (
    id                     TEXT           NOT NULL DEFAULT gen_random_uuid()::text,
    school_integration_id  TEXT           NOT NULL,
    provider               TEXT           NOT NULL,
    external_entity_type   TEXT           NOT NULL,
    external_id            TEXT           NOT NULL,
    internal_entity_type   TEXT           NOT NULL,
    internal_entity_id     TEXT           NOT NULL,   -- polymorphic, no foreign key
    first_seen_at          TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    last_seen_at           TIMESTAMPTZ(3) NOT NULL DEFAULT CURRENT_TIMESTAMP,
    deleted_at             TIMESTAMPTZ(3),
    CONSTRAINT external_id_maps_pkey PRIMARY KEY (id),
    CONSTRAINT external_id_maps_school_integration_id_fkey FOREIGN KEY (school_integration_id)
        REFERENCES school_integrations (id) ON DELETE RESTRICT ON UPDATE CASCADE
);
-- Name truncated to 63 characters, exactly as PostgreSQL did in production.
CREATE UNIQUE INDEX external_id_maps_provider_external_entity_type_external_id__key
    ON external_id_maps (provider, external_entity_type, external_id, school_integration_id);
CREATE INDEX external_id_maps_internal_entity_type_internal_entity_id_idx
    ON external_id_maps (internal_entity_type, internal_entity_id);

-- One row per paid AI call (AI workers write, GET /admin/status reads). No foreign keys.
CREATE TABLE cost_events (
    id                           TEXT             NOT NULL DEFAULT gen_random_uuid()::text,
    worker                       TEXT             NOT NULL,
    model                        TEXT             NOT NULL,
    input_tokens                 INTEGER          NOT NULL DEFAULT 0,
    output_tokens                INTEGER          NOT NULL DEFAULT 0,
    cache_creation_input_tokens  INTEGER          NOT NULL DEFAULT 0,
    cache_read_input_tokens      INTEGER          NOT NULL DEFAULT 0,
    cost_usd                     DOUBLE PRECISION NOT NULL,   -- no default
    trace_id                     TEXT             NOT NULL DEFAULT '',   -- '' = no trace, as in production
    created_at                   TIMESTAMPTZ(3)   NOT NULL DEFAULT CURRENT_TIMESTAMP,
    CONSTRAINT cost_events_pkey PRIMARY KEY (id)
);
CREATE INDEX cost_events_created_at_idx ON cost_events (created_at);
CREATE INDEX cost_events_model_created_at_idx ON cost_events (model, created_at);
