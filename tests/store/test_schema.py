"""The migrated schema is exactly data-model.md (plus the product owner's deliberate fixes).

The expected schema is written out below as data, from the spec — not read back from the migration —
so a missing, extra or mistyped table, column, default, key, index or foreign key fails a test.
"""
from __future__ import annotations

import datetime as dt
import json
import os
import re
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import pytest

from chalicelib.store.database import Database, IntegrityViolation
from chalicelib.store.migrate import apply_migrations, discover

# -- Expected schema (data-model.md §2–3) ------------------------------------------------------
#
# One string per column: "<name> <type>[?] [= <default>]". "?" = nullable. Types: text, int, float,
# bool, jsonb, ts (= TIMESTAMPTZ(3)), text[], int[], or an enum type name. Defaults: uuid
# (= gen_random_uuid()::text), now (CURRENT_TIMESTAMP or now()), or a literal without its cast.

EXPECTED_COLUMNS: dict[str, list[str]] = {
    # 3.1 Identity
    "users": [
        "id text = uuid", "supabase_uid text?", "email text", "auth_role text?", "full_name text?",
        "locale text = 'es-CL'", "password_hash text?", "password_reset_token_hash text?",
        "password_reset_expires_at ts?", "token_version int = 0", "created_at ts = now",
        "updated_at ts = now", "deleted_at ts?",
    ],
    "teachers": [
        "id text = uuid", "user_id text", "display_name text?", "bio text?", "created_at ts = now",
    ],
    "students": [
        "id text = uuid", "user_id text?", "external_email text?", "display_name text",
        "birth_year int?", "created_at ts = now", "deleted_at ts?",
    ],
    "parents": ["id text = uuid", "user_id text", "display_name text?", "created_at ts = now"],
    "parent_links": ["parent_id text", "student_id text", "relationship text", "confirmed_at ts?"],
    # 3.2 Organisation & courses
    "organizations": [
        "id text = uuid", "name text", "country text = 'CL'", "billing_email text?",
        "plan text = 'FREE'", "created_at ts = now",
    ],
    "schools": [
        "id text = uuid", "organization_id text", "name text", "rbd text?", "city text?",
        "region text?", "domain text?", "created_at ts = now",
    ],
    "courses": [
        "id text = uuid", "school_id text", "subject_id text", "name text", "grade_level int",
        "letter text?", "academic_year int", "external_id text?", "created_at ts = now",
        "archived_at ts?",
    ],
    "course_teachers": [
        "course_id text", "teacher_id text", "role text = 'LEAD'", "added_at ts = now",
    ],
    "enrollments": [
        "id text = uuid", "course_id text", "student_id text", "status text = 'ACTIVE'",
        "joined_at ts = now", "left_at ts?",
    ],
    "classroom_invites": [
        "id text = uuid", "code text", "course_id text", "created_by text", "expires_at ts?",
        "max_uses int?", "use_count int = 0", "created_at ts = now",
    ],
    # 3.3 Curriculum
    "subjects": ["id text = uuid", "code text", "name text", "language text = 'es'"],
    "curricula": [
        "id text = uuid", "subject_id text", "country text = 'CL'", "name text",
        "version text = '1.0'", "effective_from ts?", "effective_to ts?",
    ],
    "units": [
        "id text = uuid", "curriculum_id text", "grade_level int", "sequence int", "code text",
        "name text", "description text?",
    ],
    "topics": [
        "id text = uuid", "unit_id text", "subdomain_id text?", "domain_id text?", "code text",
        "name text", "description text?", "bkt_p_l0 float = 0.3", "bkt_p_transit float = 0.1",
        "bkt_p_slip float = 0.1", "bkt_p_guess float = 0.2", "bkt_calibrated_at ts?",
    ],
    "topic_prerequisites": ["topic_id text", "prerequisite_topic_id text"],
    "official_oa_codes": ["id text = uuid", "code text", "description text", "grade int"],
    "_OfficialOACodeToTopic": ["A text", "B text"],
    # 3.4 Error taxonomy
    "domains": ["id text = uuid", "code text", "name text", "description text?"],
    "subdomains": ["id text = uuid", "domain_id text", "code text", "name text"],
    "error_tags": [
        "id text = uuid", "code text", "name text = ''", "topic_scope text?", "description text",
        "domain_id text?", "subdomain_code text?", "source ErrorSource = 'CURATED'",
        "status ErrorStatus = 'ACTIVE'", "severity ErrorSeverity = 'MED'",
        "applicable_grades int[]? = '{}'", "evidence_required text[]? = '{}'",
        "diagnostic_hint text?", "remediation text?", "references text[]? = '{}'",
        "deprecated_by_id text?", "created_at ts = now", "updated_at ts = now",
    ],
    # 3.5 Exercises, assignments & attempts
    "exercises": [
        "id text = uuid", "topic_id text", "source text = 'SYSTEM'", "created_by_teacher_id text?",
        "content jsonb", "language text = 'es'", "irt_a float = 1.0", "irt_b float = 0.0",
        "irt_calibrated_at ts?", "status text = 'ACTIVE'", "created_at ts = now",
    ],
    "_ExerciseTargetErrors": ["A text", "B text"],
    "assignments": [
        "id text = uuid", "course_id text?", "created_by_teacher_id text", "title text",
        "reason text", "kind text = 'EXERCISES'", "due_at ts?", "created_at ts = now",
    ],
    "assignment_targets": ["assignment_id text", "student_id text", "status text = 'PENDING'"],
    "assignment_exercises": ["assignment_id text", "exercise_id text", "sequence int"],
    "attempts": [
        "id text = uuid", "assignment_id text?", "exercise_id text?", "student_id text",
        "course_id text?", "input_mode text = 'DIGITAL'", "status text = 'PENDING'",
        "final_answer text?", "is_correct bool", "classifier_source text = 'RULE'",
        "error_tag_id text?", "confidence float?", "ocr_confidence float?", "ocr_provider text?",
        "llm_job_id text?", "trace_id text = uuid", "created_at ts = now", "classified_at ts?",
        "updated_at ts = now",
    ],
    "attempt_steps": [
        "id text = uuid", "attempt_id text", "step_index int", "content_latex text",
        "duration_ms int?", "is_correct bool?", "error_subtag text?", "error_tag_id text?",
        "created_at ts = now",
    ],
    "attempt_error_reports": [
        "id text = uuid", "attempt_id text", "error_tag_id text", "reported_by_id text?",
        "comment text?", "source ErrorSource = 'FIELD_REPORTED'", "created_at ts = now",
    ],
    # 3.6 Mastery & alerts
    "student_topic_mastery": [
        "student_id text", "topic_id text", "p_known float = 0.3", "p_slip float = 0.1",
        "p_guess float = 0.2", "p_transit float = 0.1", "attempts_count int = 0",
        "last_attempt_at ts?", "trend_7d float?", "updated_at ts = now",
    ],
    "teacher_alerts": [
        "id text = uuid", "teacher_id text", "course_id text", "topic_id text?", "student_id text?",
        "alert_type text", "severity text = 'MED'", "payload jsonb", "created_at ts = now",
        "resolved_at ts?", "resolved_by text?",
    ],
    # 3.7 Guides pipeline
    "guides": [
        "id text = uuid", "course_id text", "created_by_teacher_id text", "title text",
        "description text?", "status GuideStatus = 'UPLOADED'", "source_pdf_key text",
        "source_pdf_pages int?", "source_kind text?", "latex_key text?",
        "extraction_confidence float?", "extraction_model text?", "failure_reason text?",
        "question_count int = 0", "max_resubmissions int = 2",
        "show_solution_after_grade bool = false", "assignment_id text?", "due_at ts?",
        "published_at ts?", "trace_id text = uuid", "created_at ts = now", "updated_at ts = now",
        "archived_at ts?",
    ],
    "guide_questions": [
        "id text = uuid", "guide_id text", "sequence int", "label text?", "statement_latex text",
        "statement_json jsonb?", "figure_keys text[]? = '{}'", "provided_answer text?",
        "provided_solution_latex text?", "points float = 1.0",
        "status GuideQuestionStatus = 'EXTRACTED'", "topic_id text?", "domain_id text?",
        "subdomain_id text?", "topic_confidence float?", "topic_source text?", "exercise_id text?",
        "created_at ts = now", "updated_at ts = now",
    ],
    "guide_solutions": [
        "id text = uuid", "guide_question_id text", "version int", "is_current bool = true",
        "source SolutionSource", "final_answer text", "steps_json jsonb", "solution_latex text?",
        "expected_error_tags text[]? = '{}'", "generated_by_model text?", "prompt_version text?",
        "validation_notes text?", "created_by_teacher_id text?", "created_at ts = now",
    ],
    "guide_submissions": [
        "id text = uuid", "guide_id text", "guide_question_id text", "student_id text",
        "attempt_number int = 1", "status SubmissionStatus = 'UPLOADED'",
        "photo_keys text[]? = '{}'", "transcription_latex text?", "transcription_json jsonb?",
        "transcription_confidence float?", "alignment_json jsonb?", "solution_version int?",
        "score float?", "is_correct bool?", "attempt_id text?", "override_error_tag_id text?",
        "override_by_id text?", "override_at ts?", "model_used text?", "failure_reason text?",
        "trace_id text = uuid", "graded_at ts?", "created_at ts = now", "updated_at ts = now",
    ],
    # 3.8 Integrations & cost
    "school_integrations": [
        "id text = uuid", "school_id text", "provider text", "status text = 'DRAFT'",
        "cadence text = 'MANUAL'", "config jsonb = '{}'", "last_sync_at ts?",
        "last_sync_error text?", "created_by_teacher_id text?", "created_at ts = now",
        "updated_at ts = now",
    ],
    "external_id_maps": [
        "id text = uuid", "school_integration_id text", "provider text",
        "external_entity_type text", "external_id text", "internal_entity_type text",
        "internal_entity_id text", "first_seen_at ts = now", "last_seen_at ts = now",
        "deleted_at ts?",
    ],
    "cost_events": [
        "id text = uuid", "worker text", "model text", "input_tokens int = 0",
        "output_tokens int = 0", "cache_creation_input_tokens int = 0",
        "cache_read_input_tokens int = 0", "cost_usd float", "trace_id text = ''",
        "created_at ts = now",
    ],
}

EXPECTED_ENUMS: dict[str, list[str]] = {
    "ErrorSource": ["CURATED", "LLM_GENERATED", "FIELD_REPORTED"],
    "ErrorStatus": ["ACTIVE", "DRAFT", "DEPRECATED"],
    "ErrorSeverity": ["LOW", "MED", "HIGH", "CRITICAL"],
    "GuideStatus": ["UPLOADED", "EXTRACTING", "EXTRACTION_FAILED", "GENERATING_SOLUTIONS",
                    "GENERATION_FAILED", "REVIEW", "PUBLISHED", "ARCHIVED"],
    "GuideQuestionStatus": ["EXTRACTED", "NEEDS_REVIEW", "APPROVED", "EXCLUDED"],
    "SolutionSource": ["PDF_PROVIDED", "LLM_GENERATED", "TEACHER_EDITED"],
    "SubmissionStatus": ["UPLOADED", "TRANSCRIBING", "GRADING", "GRADED", "FAILED"],
}

# Every index by name: "pkey"/"unique"/"index" and its columns (None = an expression).
EXPECTED_INDEXES: dict[str, dict[str, tuple[str, tuple[str | None, ...]]]] = {
    "users": {"users_pkey": ("pkey", ("id",)),
              "users_supabase_uid_key": ("unique", ("supabase_uid",)),
              "users_email_key": ("unique", ("email",))},
    "teachers": {"teachers_pkey": ("pkey", ("id",)),
                 "teachers_user_id_key": ("unique", ("user_id",))},
    "students": {"students_pkey": ("pkey", ("id",)),
                 "students_user_id_key": ("unique", ("user_id",))},
    "parents": {"parents_pkey": ("pkey", ("id",)),
                "parents_user_id_key": ("unique", ("user_id",))},
    "parent_links": {"parent_links_pkey": ("pkey", ("parent_id", "student_id"))},
    "organizations": {"organizations_pkey": ("pkey", ("id",))},
    "schools": {"schools_pkey": ("pkey", ("id",)),
                "schools_rbd_key": ("unique", ("rbd",)),
                "schools_organization_id_idx": ("index", ("organization_id",)),
                "schools_domain_idx": ("index", ("domain",))},
    "courses": {"courses_pkey": ("pkey", ("id",)),
                "courses_school_id_academic_year_idx": ("index", ("school_id", "academic_year")),
                "courses_subject_id_idx": ("index", ("subject_id",))},
    "course_teachers": {"course_teachers_pkey": ("pkey", ("course_id", "teacher_id"))},
    "enrollments": {"enrollments_pkey": ("pkey", ("id",)),
                    "enrollments_course_id_student_id_key": ("unique", ("course_id", "student_id")),
                    "enrollments_student_id_idx": ("index", ("student_id",))},
    "classroom_invites": {"classroom_invites_pkey": ("pkey", ("id",)),
                          "classroom_invites_code_key": ("unique", ("code",)),
                          "classroom_invites_code_idx": ("index", ("code",)),
                          "classroom_invites_course_id_idx": ("index", ("course_id",))},
    "subjects": {"subjects_pkey": ("pkey", ("id",)),
                 "subjects_code_key": ("unique", ("code",))},
    "curricula": {"curricula_pkey": ("pkey", ("id",)),
                  "curricula_subject_id_country_version_key":
                      ("unique", ("subject_id", "country", "version"))},
    "units": {"units_pkey": ("pkey", ("id",)),
              "units_curriculum_id_code_key": ("unique", ("curriculum_id", "code")),
              "units_curriculum_id_grade_level_sequence_idx":
                  ("index", ("curriculum_id", "grade_level", "sequence"))},
    "topics": {"topics_pkey": ("pkey", ("id",)),
               "topics_unit_id_code_key": ("unique", ("unit_id", "code")),
               "topics_subdomain_id_idx": ("index", ("subdomain_id",)),
               "topics_domain_id_idx": ("index", ("domain_id",))},
    "topic_prerequisites": {"topic_prerequisites_pkey":
                            ("pkey", ("topic_id", "prerequisite_topic_id"))},
    "official_oa_codes": {"official_oa_codes_pkey": ("pkey", ("id",)),
                          "official_oa_codes_code_key": ("unique", ("code",)),
                          "official_oa_codes_grade_idx": ("index", ("grade",))},
    "_OfficialOACodeToTopic": {"_OfficialOACodeToTopic_AB_pkey": ("pkey", ("A", "B")),
                               "_OfficialOACodeToTopic_B_index": ("index", ("B",))},
    "domains": {"domains_pkey": ("pkey", ("id",)),
                "domains_code_key": ("unique", ("code",))},
    "subdomains": {"subdomains_pkey": ("pkey", ("id",)),
                   "subdomains_domain_id_code_key": ("unique", ("domain_id", "code")),
                   "subdomains_domain_id_idx": ("index", ("domain_id",))},
    "error_tags": {"error_tags_pkey": ("pkey", ("id",)),
                   "error_tags_code_key": ("unique", ("code",)),
                   "error_tags_domain_id_status_idx": ("index", ("domain_id", "status")),
                   "error_tags_source_idx": ("index", ("source",))},
    "exercises": {"exercises_pkey": ("pkey", ("id",)),
                  "exercises_topic_id_source_idx": ("index", ("topic_id", "source")),
                  "exercises_topic_id_status_idx": ("index", ("topic_id", "status"))},
    "_ExerciseTargetErrors": {"_ExerciseTargetErrors_AB_pkey": ("pkey", ("A", "B")),
                              "_ExerciseTargetErrors_B_index": ("index", ("B",))},
    "assignments": {"assignments_pkey": ("pkey", ("id",)),
                    "assignments_course_id_idx": ("index", ("course_id",)),
                    "assignments_created_by_teacher_id_idx": ("index", ("created_by_teacher_id",))},
    "assignment_targets": {"assignment_targets_pkey": ("pkey", ("assignment_id", "student_id")),
                           "assignment_targets_student_id_idx": ("index", ("student_id",))},
    "assignment_exercises": {"assignment_exercises_pkey": ("pkey", ("assignment_id", "sequence"))},
    "attempts": {"attempts_pkey": ("pkey", ("id",)),
                 "attempts_student_id_idx": ("index", ("student_id",)),
                 "attempts_course_id_idx": ("index", ("course_id",)),
                 "attempts_exercise_id_created_at_idx": ("index", ("exercise_id", "created_at")),
                 "attempts_error_tag_id_idx": ("index", ("error_tag_id",))},
    "attempt_steps": {"attempt_steps_pkey": ("pkey", ("id",)),
                      "attempt_steps_attempt_id_step_index_key":
                          ("unique", ("attempt_id", "step_index")),
                      "attempt_steps_error_tag_id_idx": ("index", ("error_tag_id",))},
    "attempt_error_reports": {
        "attempt_error_reports_pkey": ("pkey", ("id",)),
        "attempt_error_reports_attempt_id_idx": ("index", ("attempt_id",)),
        "attempt_error_reports_error_tag_id_idx": ("index", ("error_tag_id",))},
    "student_topic_mastery": {
        "student_topic_mastery_pkey": ("pkey", ("student_id", "topic_id")),
        "student_topic_mastery_topic_id_idx": ("index", ("topic_id",)),
        "student_topic_mastery_last_attempt_at_idx": ("index", ("last_attempt_at",))},
    "teacher_alerts": {
        "teacher_alerts_pkey": ("pkey", ("id",)),
        "teacher_alerts_teacher_id_resolved_at_idx": ("index", ("teacher_id", "resolved_at")),
        "teacher_alerts_course_id_alert_type_created_at_idx":
            ("index", ("course_id", "alert_type", "created_at")),
        # DECISIONS.md §4: dedup_ref and the UTC day are expressions.
        "teacher_alerts_dedup_key": ("unique", ("teacher_id", "alert_type", "course_id", None, None))},
    "guides": {"guides_pkey": ("pkey", ("id",)),
               "guides_assignment_id_key": ("unique", ("assignment_id",)),
               "guides_course_id_status_idx": ("index", ("course_id", "status")),
               "guides_created_by_teacher_id_idx": ("index", ("created_by_teacher_id",))},
    "guide_questions": {"guide_questions_pkey": ("pkey", ("id",)),
                        "guide_questions_guide_id_sequence_key": ("unique", ("guide_id", "sequence")),
                        "guide_questions_exercise_id_key": ("unique", ("exercise_id",)),
                        "guide_questions_topic_id_idx": ("index", ("topic_id",))},
    "guide_solutions": {
        "guide_solutions_pkey": ("pkey", ("id",)),
        "guide_solutions_guide_question_id_version_key": ("unique", ("guide_question_id", "version")),
        "guide_solutions_guide_question_id_is_current_idx":
            ("index", ("guide_question_id", "is_current"))},
    "guide_submissions": {
        "guide_submissions_pkey": ("pkey", ("id",)),
        "guide_submissions_guide_question_id_student_id_attempt_numb_key":
            ("unique", ("guide_question_id", "student_id", "attempt_number")),
        "guide_submissions_attempt_id_key": ("unique", ("attempt_id",)),
        "guide_submissions_guide_id_student_id_idx": ("index", ("guide_id", "student_id")),
        "guide_submissions_status_idx": ("index", ("status",)),
        "guide_submissions_override_error_tag_id_idx": ("index", ("override_error_tag_id",))},
    "school_integrations": {
        "school_integrations_pkey": ("pkey", ("id",)),
        "school_integrations_school_id_provider_key": ("unique", ("school_id", "provider")),
        "school_integrations_status_idx": ("index", ("status",))},
    "external_id_maps": {
        "external_id_maps_pkey": ("pkey", ("id",)),
        "external_id_maps_provider_external_entity_type_external_id__key":
            ("unique", ("provider", "external_entity_type", "external_id", "school_integration_id")),
        "external_id_maps_internal_entity_type_internal_entity_id_idx":
            ("index", ("internal_entity_type", "internal_entity_id"))},
    "cost_events": {"cost_events_pkey": ("pkey", ("id",)),
                    "cost_events_created_at_idx": ("index", ("created_at",)),
                    "cost_events_model_created_at_idx": ("index", ("model", "created_at"))},
}

# Every foreign key: (table, column, referenced table, ON DELETE). All reference ``id`` except the
# join tables (also ``id``), all are ON UPDATE CASCADE, and each is named <table>_<column>_fkey.
EXPECTED_FOREIGN_KEYS: list[tuple[str, str, str, str]] = [
    ("teachers", "user_id", "users", "RESTRICT"),
    ("students", "user_id", "users", "SET NULL"),
    ("parents", "user_id", "users", "RESTRICT"),
    ("parent_links", "parent_id", "parents", "RESTRICT"),
    ("parent_links", "student_id", "students", "RESTRICT"),
    ("schools", "organization_id", "organizations", "RESTRICT"),
    ("courses", "school_id", "schools", "RESTRICT"),
    ("courses", "subject_id", "subjects", "RESTRICT"),
    ("course_teachers", "course_id", "courses", "RESTRICT"),
    ("course_teachers", "teacher_id", "teachers", "RESTRICT"),
    ("enrollments", "course_id", "courses", "RESTRICT"),
    ("enrollments", "student_id", "students", "RESTRICT"),
    ("classroom_invites", "course_id", "courses", "RESTRICT"),
    ("curricula", "subject_id", "subjects", "RESTRICT"),
    ("units", "curriculum_id", "curricula", "RESTRICT"),
    ("topics", "unit_id", "units", "RESTRICT"),
    ("topics", "subdomain_id", "subdomains", "SET NULL"),
    ("topics", "domain_id", "domains", "SET NULL"),
    ("topic_prerequisites", "topic_id", "topics", "RESTRICT"),
    ("topic_prerequisites", "prerequisite_topic_id", "topics", "RESTRICT"),
    ("_OfficialOACodeToTopic", "A", "official_oa_codes", "CASCADE"),
    ("_OfficialOACodeToTopic", "B", "topics", "CASCADE"),
    ("subdomains", "domain_id", "domains", "RESTRICT"),
    ("error_tags", "domain_id", "domains", "SET NULL"),
    ("error_tags", "deprecated_by_id", "error_tags", "SET NULL"),
    ("exercises", "topic_id", "topics", "RESTRICT"),
    ("_ExerciseTargetErrors", "A", "error_tags", "CASCADE"),
    ("_ExerciseTargetErrors", "B", "exercises", "CASCADE"),
    ("assignments", "course_id", "courses", "SET NULL"),
    ("assignments", "created_by_teacher_id", "teachers", "RESTRICT"),
    ("assignment_targets", "assignment_id", "assignments", "RESTRICT"),
    ("assignment_targets", "student_id", "students", "RESTRICT"),
    ("assignment_exercises", "assignment_id", "assignments", "RESTRICT"),
    ("assignment_exercises", "exercise_id", "exercises", "RESTRICT"),
    ("attempts", "assignment_id", "assignments", "SET NULL"),
    ("attempts", "exercise_id", "exercises", "SET NULL"),
    ("attempts", "student_id", "students", "RESTRICT"),
    ("attempts", "course_id", "courses", "SET NULL"),
    ("attempts", "error_tag_id", "error_tags", "SET NULL"),
    ("attempt_steps", "attempt_id", "attempts", "RESTRICT"),
    ("attempt_steps", "error_tag_id", "error_tags", "SET NULL"),
    ("attempt_error_reports", "attempt_id", "attempts", "RESTRICT"),
    ("attempt_error_reports", "error_tag_id", "error_tags", "RESTRICT"),
    ("attempt_error_reports", "reported_by_id", "users", "SET NULL"),
    ("student_topic_mastery", "student_id", "students", "RESTRICT"),
    ("student_topic_mastery", "topic_id", "topics", "RESTRICT"),
    ("teacher_alerts", "teacher_id", "teachers", "RESTRICT"),
    ("teacher_alerts", "course_id", "courses", "RESTRICT"),
    ("teacher_alerts", "topic_id", "topics", "SET NULL"),
    ("guides", "course_id", "courses", "RESTRICT"),
    ("guides", "created_by_teacher_id", "teachers", "RESTRICT"),
    ("guides", "assignment_id", "assignments", "SET NULL"),
    ("guide_questions", "guide_id", "guides", "RESTRICT"),
    ("guide_questions", "topic_id", "topics", "SET NULL"),
    ("guide_questions", "exercise_id", "exercises", "SET NULL"),
    ("guide_solutions", "guide_question_id", "guide_questions", "RESTRICT"),
    ("guide_submissions", "guide_id", "guides", "RESTRICT"),
    ("guide_submissions", "guide_question_id", "guide_questions", "RESTRICT"),
    ("guide_submissions", "student_id", "students", "RESTRICT"),
    ("guide_submissions", "attempt_id", "attempts", "SET NULL"),
    ("guide_submissions", "override_error_tag_id", "error_tags", "SET NULL"),
    ("school_integrations", "school_id", "schools", "RESTRICT"),
    ("school_integrations", "created_by_teacher_id", "teachers", "SET NULL"),
    ("external_id_maps", "school_integration_id", "school_integrations", "RESTRICT"),
]

# Id-like columns that deliberately have no foreign key (data-model.md §6).
NO_FOREIGN_KEY = [
    ("classroom_invites", "created_by"), ("exercises", "created_by_teacher_id"),
    ("teacher_alerts", "student_id"), ("teacher_alerts", "resolved_by"),
    ("error_tags", "subdomain_code"), ("guide_questions", "domain_id"),
    ("guide_questions", "subdomain_id"), ("guide_solutions", "created_by_teacher_id"),
    ("guide_submissions", "override_by_id"), ("external_id_maps", "internal_entity_id"),
    ("attempts", "llm_job_id"),
]

_TYPES = {
    "text": "text", "int": "integer", "float": "double precision", "bool": "boolean",
    "jsonb": "jsonb", "ts": "timestamp(3) with time zone", "text[]": "text[]", "int[]": "integer[]",
}
_ACTIONS = {"a": "NO ACTION", "r": "RESTRICT", "c": "CASCADE", "n": "SET NULL", "d": "SET DEFAULT"}


def _expected_column(spec: str) -> tuple[str, tuple[str, bool, str | None]]:
    definition, _, default = spec.partition(" = ")
    name, type_name = definition.split()
    nullable = type_name.endswith("?")
    type_name = type_name.rstrip("?")
    sql_type = _TYPES.get(type_name, f'"{type_name}"')  # anything else is an enum type
    return name, (sql_type, nullable, default or None)


def _normalise_default(expr: str | None) -> str | None:
    """``pg_get_expr`` output → the short form used in EXPECTED_COLUMNS."""
    if expr is None:
        return None
    if expr in ("(gen_random_uuid())::text", "gen_random_uuid()::text"):
        return "uuid"
    if expr in ("CURRENT_TIMESTAMP", "now()"):
        return "now"
    return re.sub(r"::[\w\" ]+(\[\])?$", "", expr)  # drop the literal's cast


def _live_columns(db: Database) -> dict[str, dict[str, tuple[str, bool, str | None]]]:
    rows = db.fetch_all(
        """
        SELECT c.relname::text AS table_name, a.attname::text AS column_name,
               format_type(a.atttypid, a.atttypmod) AS sql_type, NOT a.attnotnull AS nullable,
               pg_get_expr(d.adbin, d.adrelid) AS default_expr
        FROM pg_attribute a
        JOIN pg_class c ON c.oid = a.attrelid
        JOIN pg_namespace n ON n.oid = c.relnamespace
        LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
        WHERE n.nspname = 'public' AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped
          AND c.relname <> 'schema_migrations'
        """
    )
    live: dict[str, dict[str, tuple[str, bool, str | None]]] = {}
    for row in rows:
        live.setdefault(row["table_name"], {})[row["column_name"]] = (
            row["sql_type"], row["nullable"], _normalise_default(row["default_expr"]))
    return live


def _live_indexes(db: Database) -> dict[str, dict[str, tuple[str, tuple[str | None, ...]]]]:
    rows = db.fetch_all(
        """
        SELECT t.relname::text AS table_name, i.relname::text AS index_name,
               ix.indisprimary AS is_primary, ix.indisunique AS is_unique,
               (SELECT array_agg(a.attname::text ORDER BY k.ord)
                FROM unnest(ix.indkey::int2[]) WITH ORDINALITY AS k(attnum, ord)
                LEFT JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = k.attnum) AS columns
        FROM pg_index ix
        JOIN pg_class i ON i.oid = ix.indexrelid
        JOIN pg_class t ON t.oid = ix.indrelid
        JOIN pg_namespace n ON n.oid = t.relnamespace
        WHERE n.nspname = 'public' AND t.relname <> 'schema_migrations'
        """
    )
    live: dict[str, dict[str, tuple[str, tuple[str | None, ...]]]] = {}
    for row in rows:
        kind = "pkey" if row["is_primary"] else "unique" if row["is_unique"] else "index"
        live.setdefault(row["table_name"], {})[row["index_name"]] = (kind, tuple(row["columns"]))
    return live


def _live_foreign_keys(db: Database) -> dict[str, dict]:
    rows = db.fetch_all(
        """
        SELECT con.conname::text AS name, rel.relname::text AS table_name,
               ref.relname::text AS ref_table,
               (SELECT array_agg(a.attname::text ORDER BY k.ord)
                FROM unnest(con.conkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum) AS columns,
               (SELECT array_agg(a.attname::text ORDER BY k.ord)
                FROM unnest(con.confkey) WITH ORDINALITY AS k(attnum, ord)
                JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum) AS ref_columns,
               con.confupdtype::text AS on_update, con.confdeltype::text AS on_delete
        FROM pg_constraint con
        JOIN pg_class rel ON rel.oid = con.conrelid
        JOIN pg_class ref ON ref.oid = con.confrelid
        JOIN pg_namespace n ON n.oid = rel.relnamespace
        WHERE con.contype = 'f' AND n.nspname = 'public'
        """
    )
    return {
        row["name"]: {
            "table": row["table_name"], "columns": row["columns"], "ref_table": row["ref_table"],
            "ref_columns": row["ref_columns"], "on_update": _ACTIONS[row["on_update"]],
            "on_delete": _ACTIONS[row["on_delete"]],
        }
        for row in rows
    }


@pytest.fixture(scope="module")
def schema_db(postgres_server_url: str, template_database: str) -> Iterator[Database]:
    """One migrated database shared by the read-only catalog tests of this module (fast)."""
    name = f"innova_test_schema_{os.getpid()}"
    admin = Database.from_url(postgres_server_url)
    admin.execute_script(f'CREATE DATABASE "{name}" TEMPLATE "{template_database}"')
    parts = urlsplit(postgres_server_url)
    database = Database.from_url(urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, "")))
    yield database
    database.close()
    admin.execute_script(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    admin.close()


# -- Migrations ----------------------------------------------------------------------------

def test_migrations_apply_to_an_empty_database_then_apply_nothing(empty_db: Database) -> None:
    versions = [m.version for m in discover()]
    assert versions and versions[0] == "0001"

    assert apply_migrations(empty_db) == versions
    assert apply_migrations(empty_db) == []

    recorded = empty_db.fetch_all("SELECT version FROM schema_migrations ORDER BY version")
    assert [r["version"] for r in recorded] == versions
    assert set(_live_columns(empty_db)) == set(EXPECTED_COLUMNS) | set(PRODUCT_TABLES)


def test_test_databases_are_fully_migrated(db: Database) -> None:
    assert apply_migrations(db) == []


# -- Tables, columns, types, defaults ------------------------------------------------------

# Tables this product adds beside data-model.md's (each owned by the migration named).
PRODUCT_TABLES = {
    "attempt_outbox": "0010",  # messages of POST /attempts not yet published
    "mastery_observations": "0011",  # p_known after each attempt (trend_7d)
    "attempt_events": "0040",  # the document store's PostgreSQL adapter
    "llm_classification_jobs": "0040",
    "ocr_jobs": "0040",
}


def _data_model_only(live: dict) -> dict:
    return {table: value for table, value in live.items() if table not in PRODUCT_TABLES}


def test_tables_are_exactly_those_of_the_data_model(schema_db: Database) -> None:
    live = {r["t"] for r in schema_db.fetch_all(
        "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = 'public'")}
    # 36 application tables + 2 implicit join tables + our bookkeeping table; no _prisma_migrations.
    assert len(EXPECTED_COLUMNS) == 38
    assert live == set(EXPECTED_COLUMNS) | {"schema_migrations"} | set(PRODUCT_TABLES)


def test_columns_types_nullability_and_defaults(schema_db: Database) -> None:
    live = _live_columns(schema_db)
    for table, specs in EXPECTED_COLUMNS.items():
        expected = dict(_expected_column(spec) for spec in specs)
        assert sorted(live[table]) == sorted(expected), f"missing or extra columns in {table}"
        for column, definition in expected.items():
            assert live[table][column] == definition, f"{table}.{column}"


def test_every_timestamp_is_timestamptz_with_millisecond_precision(schema_db: Database) -> None:
    rows = schema_db.fetch_all(
        "SELECT table_name::text AS t, column_name::text AS c, data_type::text AS type,"
        " datetime_precision AS precision FROM information_schema.columns"
        " WHERE table_schema = 'public' AND data_type LIKE 'timestamp%'"
        " AND table_name <> 'schema_migrations'"
    )
    rows = [r for r in rows if r["t"] not in PRODUCT_TABLES]
    expected_count = sum(" ts" in spec for specs in EXPECTED_COLUMNS.values() for spec in specs)
    assert len(rows) == expected_count
    wrong = [(r["t"], r["c"], r["type"], r["precision"]) for r in rows
             if r["type"] != "timestamp with time zone" or r["precision"] != 3]
    assert wrong == []


def test_every_id_and_trace_id_defaults_to_a_fresh_uuid(db: Database) -> None:
    live = _data_model_only(_live_columns(db))
    with_id = {t for t, cols in live.items() if "id" in cols}
    assert with_id == {t for t, specs in EXPECTED_COLUMNS.items() if specs[0].startswith("id ")}
    assert {t: live[t]["id"][2] for t in with_id} == dict.fromkeys(with_id, "uuid")
    trace = sorted(t for t, cols in live.items() if "trace_id" in cols and cols["trace_id"][2] == "uuid")
    assert trace == ["attempts", "guide_submissions", "guides"]

    db.execute("INSERT INTO organizations (name) VALUES ('A'), ('B')")
    ids = [r["id"] for r in db.fetch_all("SELECT id FROM organizations")]
    assert len(set(ids)) == 2
    assert all(re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[0-9a-f]{4}-[0-9a-f]{12}", i) for i in ids)


def test_updated_at_and_arrays_get_defaults_on_insert(db: Database) -> None:
    before = db.fetch_value("SELECT now()")
    db.execute("INSERT INTO users (email) VALUES ('a@example.test')")
    row = db.fetch_one("SELECT id, created_at, updated_at, token_version, locale FROM users")
    assert row["updated_at"] >= before and row["created_at"] >= before
    assert row["updated_at"].tzinfo is not None
    assert (row["token_version"], row["locale"]) == (0, "es-CL")

    db.execute("INSERT INTO error_tags (code, description) VALUES ('X_Y_Z', 'd')")
    tag = db.fetch_one('SELECT applicable_grades, evidence_required, "references", name, source::text'
                       " AS source FROM error_tags")
    assert tag == {"applicable_grades": [], "evidence_required": [], "references": [], "name": "",
                   "source": "CURATED"}


def test_enum_types_and_their_values_in_order(schema_db: Database) -> None:
    rows = schema_db.fetch_all(
        """
        SELECT t.typname::text AS name, array_agg(e.enumlabel::text ORDER BY e.enumsortorder) AS labels
        FROM pg_type t
        JOIN pg_enum e ON e.enumtypid = t.oid
        JOIN pg_namespace n ON n.oid = t.typnamespace
        WHERE n.nspname = 'public'
        GROUP BY t.typname
        """
    )
    assert {r["name"]: r["labels"] for r in rows} == EXPECTED_ENUMS


# -- Keys and indexes ----------------------------------------------------------------------

# Indexes later migrations add for query paths data-model.md does not name (not constraints).
LATER_INDEXES: dict[str, dict[str, tuple[str, tuple[str | None, ...]]]] = {
    "course_teachers": {"course_teachers_teacher_id_idx": ("index", ("teacher_id",))},
    "attempts": {"attempts_student_id_created_at_idx": ("index", ("student_id", "created_at")),
                 "attempts_course_id_student_id_created_at_idx": ("index", ("course_id", "student_id",
                                                                            "created_at"))},
    "teacher_alerts": {"teacher_alerts_course_id_open_idx": ("index", ("course_id", "created_at")),
                       "teacher_alerts_student_id_open_idx": ("index", ("student_id", "created_at"))},
}


def test_every_key_and_index_by_name_and_columns(schema_db: Database) -> None:
    live = _data_model_only(_live_indexes(schema_db))
    expected_all = {table: {**indexes, **LATER_INDEXES.get(table, {})}
                    for table, indexes in EXPECTED_INDEXES.items()}
    assert sorted(live) == sorted(expected_all)
    for table, expected in expected_all.items():
        assert live[table] == expected, table


def test_truncated_names_are_the_63_character_production_names(schema_db: Database) -> None:
    names = {r["n"] for r in schema_db.fetch_all("SELECT indexname::text AS n FROM pg_indexes"
                                           " WHERE schemaname = 'public'")}
    for name in ("guide_submissions_guide_question_id_student_id_attempt_numb_key",
                 "external_id_maps_provider_external_entity_type_external_id__key"):
        assert len(name) == 63 and name in names


def test_unique_keys_are_unique_indexes_usable_by_on_conflict(db: Database) -> None:
    # As the ORM created them in production: unique *indexes*, so ON CONFLICT (cols) infers them.
    db.execute("INSERT INTO subjects (id, code, name) VALUES ('s1', 'MATH', 'M')")
    inserted = db.execute("INSERT INTO subjects (id, code, name) VALUES ('s2', 'MATH', 'M')"
                          " ON CONFLICT (code) DO NOTHING")
    assert inserted == 0
    with pytest.raises(IntegrityViolation) as caught:
        db.execute("INSERT INTO subjects (id, code, name) VALUES ('s3', 'MATH', 'M')")
    assert caught.value.is_unique and caught.value.constraint == "subjects_code_key"


# -- Foreign keys --------------------------------------------------------------------------

def test_every_foreign_key_with_its_delete_rule(schema_db: Database) -> None:
    expected = {
        f"{table}_{column}_fkey": {
            "table": table, "columns": [column], "ref_table": ref, "ref_columns": ["id"],
            "on_update": "CASCADE", "on_delete": on_delete,
        }
        for table, column, ref, on_delete in EXPECTED_FOREIGN_KEYS
    }
    live = {name: fk for name, fk in _live_foreign_keys(schema_db).items() if fk["table"] not in PRODUCT_TABLES}
    assert sorted(live) == sorted(expected), "missing, extra or misnamed foreign keys"
    for name, definition in expected.items():
        assert live[name] == definition, name


def test_application_level_references_have_no_foreign_key(schema_db: Database) -> None:
    foreign_keys = _live_foreign_keys(schema_db).values()
    constrained = {(fk["table"], column) for fk in foreign_keys for column in fk["columns"]}
    for table, column in NO_FOREIGN_KEY:
        assert column in _live_columns(schema_db)[table]
        assert (table, column) not in constrained


def _seed_course(db: Database) -> None:
    """The minimum rows an alert or an exercise needs (readable ids, like the seed)."""
    db.execute_script(
        """
        INSERT INTO users (id, email) VALUES ('u1', 't@example.test');
        INSERT INTO teachers (id, user_id) VALUES ('t1', 'u1');
        INSERT INTO organizations (id, name) VALUES ('o1', 'Org');
        INSERT INTO schools (id, organization_id, name) VALUES ('sc1', 'o1', 'School');
        INSERT INTO subjects (id, code, name) VALUES ('sub1', 'MATH', 'Matemática');
        INSERT INTO courses (id, school_id, subject_id, name, grade_level, academic_year)
            VALUES ('c1', 'sc1', 'sub1', '4° B', 4, 2026), ('c2', 'sc1', 'sub1', '5° A', 5, 2026);
        INSERT INTO curricula (id, subject_id, name) VALUES ('cu1', 'sub1', 'Bases');
        INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)
            VALUES ('un1', 'cu1', 4, 1, 'ARITH', 'Aritmética');
        INSERT INTO topics (id, unit_id, code, name) VALUES ('tp1', 'un1', 'SUB', 'Sustracción');
        """
    )


def test_delete_rules_behave_restrict_set_null_and_cascade(db: Database) -> None:
    _seed_course(db)
    db.execute_script(
        """
        INSERT INTO exercises (id, topic_id, content) VALUES ('ex1', 'tp1', '{}');
        INSERT INTO error_tags (id, code, description) VALUES ('et1', 'E', 'd');
        INSERT INTO "_ExerciseTargetErrors" ("A", "B") VALUES ('et1', 'ex1');
        INSERT INTO students (id, display_name) VALUES ('st1', 'Ana');
        INSERT INTO attempts (id, student_id, exercise_id, is_correct) VALUES ('at1', 'st1', 'ex1', false);
        """
    )
    with pytest.raises(IntegrityViolation) as caught:  # RESTRICT: a topic with exercises stays
        db.execute("DELETE FROM topics WHERE id = 'tp1'")
    assert caught.value.is_foreign_key and caught.value.constraint == "exercises_topic_id_fkey"

    db.execute("DELETE FROM exercises WHERE id = 'ex1'")
    assert db.fetch_value("SELECT exercise_id FROM attempts WHERE id = 'at1'") is None  # SET NULL
    assert db.fetch_value('SELECT count(*) FROM "_ExerciseTargetErrors"') == 0  # CASCADE

    db.execute("UPDATE topics SET id = 'tp1-renamed' WHERE id = 'tp1'")  # ON UPDATE CASCADE
    db.execute("INSERT INTO exercises (id, topic_id, content) VALUES ('ex2', 'tp1-renamed', '{}')")
    db.execute("UPDATE topics SET id = 'tp1-again' WHERE id = 'tp1-renamed'")
    assert db.fetch_value("SELECT topic_id FROM exercises WHERE id = 'ex2'") == "tp1-again"


# -- Alert deduplication (DECISIONS.md §4) -------------------------------------------------

_INSERT_ALERT = """
INSERT INTO teacher_alerts (teacher_id, course_id, alert_type, severity, payload, created_at)
VALUES ('t1', :course, :type, 'HIGH', CAST(:payload AS jsonb), CAST(:at AS timestamptz))
ON CONFLICT DO NOTHING
"""


_DEDUP_CONFLICT_TARGET = """
ON CONFLICT (teacher_id, alert_type, course_id, (payload ->> 'dedup_ref'),
             ((created_at AT TIME ZONE 'UTC')::date)) WHERE payload ? 'dedup_ref'
"""


def _alert(db: Database, *, at: str, ref: str | None = "student-1", course: str = "c1",
           alert_type: str = "AT_RISK_STUDENT") -> int:
    payload = json.dumps({"message": "m"} if ref is None else {"message": "m", "dedup_ref": ref})
    return db.execute(_INSERT_ALERT, {"course": course, "type": alert_type, "payload": payload, "at": at})


def test_alert_dedup_index_allows_one_alert_per_subject_and_utc_day(db: Database) -> None:
    _seed_course(db)
    assert _alert(db, at="2026-03-10T00:30:00Z") == 1
    assert _alert(db, at="2026-03-10T23:30:00Z") == 0  # same UTC day: deduplicated
    assert _alert(db, at="2026-03-10T12:00:00-05:00") == 0  # 17:00 UTC, same day
    assert _alert(db, at="2026-03-11T00:00:00Z") == 1  # next UTC day
    assert _alert(db, at="2026-03-10T10:00:00Z", ref="student-2") == 1  # other subject
    assert _alert(db, at="2026-03-10T10:00:00Z", course="c2") == 1  # other course
    assert _alert(db, at="2026-03-10T10:00:00Z", alert_type="STUDENT_DROP") == 1  # other type
    db.execute("UPDATE teacher_alerts SET resolved_at = now()")  # resolved alerts still count
    assert _alert(db, at="2026-03-10T11:00:00Z") == 0
    # Alerts without dedup_ref (POST /alerts) are not constrained.
    assert _alert(db, at="2026-03-10T10:00:00Z", ref=None) == 1
    assert _alert(db, at="2026-03-10T10:00:00Z", ref=None) == 1
    assert db.fetch_value("SELECT count(*) FROM teacher_alerts") == 7

    # Writers may also name the index's key as the ON CONFLICT target (with its predicate).
    explicit = _INSERT_ALERT.replace("ON CONFLICT DO NOTHING", _DEDUP_CONFLICT_TARGET + " DO NOTHING")
    params = {"course": "c1", "type": "AT_RISK_STUDENT", "at": "2026-03-10T09:00:00Z",
              "payload": json.dumps({"dedup_ref": "student-1"})}
    assert db.execute(explicit, params) == 0
    assert db.execute(explicit, {**params, "at": "2026-03-12T09:00:00Z"}) == 1


def test_alert_dedup_day_does_not_depend_on_the_session_time_zone(db: Database) -> None:
    _seed_course(db)
    with db.transaction():
        db.execute("SET LOCAL TIME ZONE 'America/Santiago'")
        # 01:00 UTC on the 11th is still the 10th in Santiago; the key uses the UTC day.
        assert _alert(db, at="2026-03-10T12:00:00Z") == 1
        assert _alert(db, at="2026-03-11T01:00:00Z") == 1
    with pytest.raises(IntegrityViolation) as caught:
        db.execute(_INSERT_ALERT.replace("ON CONFLICT DO NOTHING", ""), {
            "course": "c1", "type": "AT_RISK_STUDENT", "at": "2026-03-11T23:00:00Z",
            "payload": '{"dedup_ref": "student-1"}'})
    assert caught.value.constraint == "teacher_alerts_dedup_key"


def test_alert_dedup_index_is_partial_on_dedup_ref(schema_db: Database) -> None:
    definition = schema_db.fetch_value("SELECT pg_get_indexdef('teacher_alerts_dedup_key'::regclass)")
    assert definition.startswith("CREATE UNIQUE INDEX teacher_alerts_dedup_key")
    assert "(payload ->> 'dedup_ref'::text)" in definition
    assert "AT TIME ZONE 'UTC'::text" in definition
    assert definition.endswith("WHERE (payload ? 'dedup_ref'::text)")


def test_created_at_round_trips_as_an_aware_utc_instant(db: Database) -> None:
    _seed_course(db)
    _alert(db, at="2026-03-10T12:00:00.123456-03:00")
    created = db.fetch_value("SELECT created_at FROM teacher_alerts")
    assert created == dt.datetime(2026, 3, 10, 15, 0, 0, 123000, tzinfo=dt.timezone.utc)
