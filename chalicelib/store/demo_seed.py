"""Demo data: a MATH curriculum covering every rule-engine routing key, a school, a course and people.

``seed_demo_data(db)`` is idempotent and safe to re-run (and to run after real data exists): rows
get fixed readable ids (``seed-course-001``…) and are inserted with ``ON CONFLICT DO NOTHING``, and
everything that has a natural key (subject code, domain code, unit/topic code, error-tag code,
a user's Supabase subject, a profile's user) is looked up by that key afterwards, so rows created
earlier by other means — a catalogue import, a demo token used before seeding — are reused rather
than duplicated. The rule engine's error tags are upserted by code. One transaction: all or nothing.

Demo people sign in with HS256 demo tokens whose ``sub`` is their ``users.supabase_uid``
(``demo-teacher``, ``demo-student-1..3``, ``demo-parent``, ``demo-admin``); the returned dict carries
what the CLI needs to print them.
"""
from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from chalicelib.store import demo_curriculum as content
from chalicelib.store.database import Database

ERROR_TAGS_FILE = Path(__file__).with_name("rule_engine_error_tags.json")
"""Copy of the spec's error-tags.json: the tags the rule engine emits (52 + CORRECT/UNCLASSIFIED)."""

SUBJECT = {"id": "seed-subject-math", "code": "MATH", "name": "Matemáticas"}
CURRICULUM = {"id": "seed-curriculum-math-cl", "country": "CL", "version": "1.0",
              "name": "Bases Curriculares de Matemática · Chile"}
ORGANIZATION = {"id": "seed-org-001", "name": "Fundación Educacional Innova (demo)",
                "billing_email": "facturacion@demo.innova.test", "plan": "PILOT"}
SCHOOL = {"id": "seed-school-001", "name": "Escuela Demo Los Aromos", "rbd": "99999-9",
          "city": "Santiago", "region": "Metropolitana", "domain": "demo.innova.test"}
COURSE = {"id": "seed-course-001", "name": "4° básico B · Matemáticas", "grade_level": 4, "letter": "B"}

# Reserved tags the API depends on (data-model.md §3.4), added if the file ever lacks them.
RESERVED_TAGS = {
    "CORRECT": ("Correcto", "Respuesta correcta."),
    "UNCLASSIFIED": ("Sin clasificar", "Ninguna regla determinista explica la respuesta; queda en"
                                       " espera del clasificador asíncrono (LLM)."),
}


@dataclass(frozen=True)
class DemoAccount:
    """A demo login: the ``users`` row and its role profile."""

    role: str  # teacher | student | parent | admin
    subject: str  # users.supabase_uid = the demo token's sub
    email: str
    name: str
    user_id: str
    profile_id: str | None  # teachers/students/parents id; admins have no profile table


ACCOUNTS: tuple[DemoAccount, ...] = (
    DemoAccount("teacher", "demo-teacher", "demo-teacher@demo.innova.test", "Carolina Muñoz",
                "seed-user-teacher-001", "seed-teacher-001"),
    DemoAccount("student", "demo-student-1", "demo-student-1@demo.innova.test", "Martina Rojas",
                "seed-user-student-001", "seed-student-001"),
    DemoAccount("student", "demo-student-2", "demo-student-2@demo.innova.test", "Benjamín Soto",
                "seed-user-student-002", "seed-student-002"),
    DemoAccount("student", "demo-student-3", "demo-student-3@demo.innova.test", "Isidora Fuentes",
                "seed-user-student-003", "seed-student-003"),
    DemoAccount("parent", "demo-parent", "demo-parent@demo.innova.test", "Rodrigo Rojas",
                "seed-user-parent-001", "seed-parent-001"),
    DemoAccount("admin", "demo-admin", "demo-admin@demo.innova.test", "Administración Innova",
                "seed-user-admin-001", None),
)
PARENT_OF = "demo-student-1"  # the parent's child (confirmed link)
PARENT_RELATIONSHIP = "PADRE"

# Role → (insert the profile unless the user has one, look the user's profile up).
_PROFILE_SQL = {
    "teacher": ("INSERT INTO teachers (id, user_id, display_name) VALUES (:id, :user_id, :name)"
                " ON CONFLICT DO NOTHING",
                "SELECT id FROM teachers WHERE user_id = :user_id"),
    "student": ("INSERT INTO students (id, user_id, display_name) VALUES (:id, :user_id, :name)"
                " ON CONFLICT DO NOTHING",
                "SELECT id FROM students WHERE user_id = :user_id"),
    "parent": ("INSERT INTO parents (id, user_id, display_name) VALUES (:id, :user_id, :name)"
               " ON CONFLICT DO NOTHING",
               "SELECT id FROM parents WHERE user_id = :user_id"),
}


def seed_demo_data(db: Database, *, academic_year: int | None = None) -> dict[str, Any]:
    """Create (or complete) the demo data set; returns the ids the CLI needs.

    ``academic_year`` defaults to the current UTC year and only matters the first time the course
    is created. Returns ``subject_id``, ``curriculum_id``, ``organization_id``, ``school_id``,
    ``course_id``, ``teacher_id``, ``student_ids``, ``parent_id`` and ``accounts`` (one dict per
    demo login: role, subject, email, name, user_id, profile_id).
    """
    year = academic_year or dt.datetime.now(dt.timezone.utc).year
    with db.transaction():
        subject_id, curriculum_id = _seed_subject(db)
        _seed_taxonomy(db)
        _seed_units_and_topics(db, curriculum_id)
        _seed_prerequisites(db, curriculum_id)
        _seed_exercises(db, curriculum_id)
        _seed_error_tags(db)
        school_id = _seed_school(db)
        course_id = _seed_course(db, school_id, subject_id, year)
        accounts = _seed_accounts(db)
        _seed_roster(db, course_id, accounts)
    by_role = {role: [a for a in accounts if a["role"] == role] for role in _PROFILE_SQL}
    return {
        "subject_id": subject_id,
        "curriculum_id": curriculum_id,
        "organization_id": ORGANIZATION["id"],
        "school_id": school_id,
        "course_id": course_id,
        "teacher_id": by_role["teacher"][0]["profile_id"],
        "student_ids": [a["profile_id"] for a in by_role["student"]],
        "parent_id": by_role["parent"][0]["profile_id"],
        "accounts": accounts,
    }


# -- Curriculum and taxonomy -----------------------------------------------------------------

def _seed_subject(db: Database) -> tuple[str, str]:
    db.execute("INSERT INTO subjects (id, code, name) VALUES (:id, :code, :name) ON CONFLICT DO NOTHING",
               SUBJECT)
    subject_id = db.fetch_value("SELECT id FROM subjects WHERE code = :code", SUBJECT)
    db.execute(
        "INSERT INTO curricula (id, subject_id, country, name, version)"
        " VALUES (:id, :subject_id, :country, :name, :version) ON CONFLICT DO NOTHING",
        {**CURRICULUM, "subject_id": subject_id},
    )
    curriculum_id = db.fetch_value(
        "SELECT id FROM curricula WHERE subject_id = :subject_id AND country = :country"
        " AND version = :version",
        {**CURRICULUM, "subject_id": subject_id},
    )
    return subject_id, curriculum_id


def _slug(*parts: str) -> str:
    """Readable id fragment: ``("ARITH", "PLACE_VALUE")`` → ``arith-place-value``."""
    return "-".join(p.lower().replace("_", "-") for p in parts)


def _seed_taxonomy(db: Database) -> None:
    """The 17 domains and 106 subdomains of domain.md §6.5 (matched by code when they exist)."""
    db.execute(
        "INSERT INTO domains (id, code, name)"
        " SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:codes AS text[]), CAST(:names AS text[]))"
        " ON CONFLICT DO NOTHING",
        {"ids": [f"seed-domain-{_slug(d.code)}" for d in content.DOMAINS],
         "codes": [d.code for d in content.DOMAINS],
         "names": [d.name for d in content.DOMAINS]},
    )
    rows = [(d.code, code, name) for d in content.DOMAINS for code, name in d.subdomains]
    db.execute(
        """
        INSERT INTO subdomains (id, domain_id, code, name)
        SELECT s.id, d.id, s.code, s.name
        FROM unnest(CAST(:ids AS text[]), CAST(:domain_codes AS text[]), CAST(:codes AS text[]),
                    CAST(:names AS text[])) AS s(id, domain_code, code, name)
        JOIN domains d ON d.code = s.domain_code
        ON CONFLICT DO NOTHING
        """,
        {"ids": [f"seed-subdomain-{_slug(domain, code)}" for domain, code, _ in rows],
         "domain_codes": [domain for domain, _, _ in rows],
         "codes": [code for _, code, _ in rows],
         "names": [name for _, _, name in rows]},
    )


def _seed_units_and_topics(db: Database, curriculum_id: str) -> None:
    """One unit per domain (code = domain code) plus the legacy unit; one topic per subdomain."""
    units = [(content.LEGACY_UNIT_CODE, content.LEGACY_UNIT_NAME, content.LEGACY_UNIT_GRADE)]
    units += [(d.code, d.name, d.grade_level) for d in content.DOMAINS]
    db.execute(
        """
        INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)
        SELECT u.id, :curriculum_id, u.grade_level, u.sequence, u.code, u.name
        FROM unnest(CAST(:ids AS text[]), CAST(:grades AS int[]), CAST(:sequences AS int[]),
                    CAST(:codes AS text[]), CAST(:names AS text[]))
             AS u(id, grade_level, sequence, code, name)
        ON CONFLICT DO NOTHING
        """,
        {"curriculum_id": curriculum_id,
         "ids": [f"seed-unit-{_slug(code)}" for code, _, _ in units],
         "grades": [grade for _, _, grade in units],
         "sequences": list(range(1, len(units) + 1)),
         "codes": [code for code, _, _ in units],
         "names": [name for _, name, _ in units]},
    )
    topics = content.taxonomy_topics()
    db.execute(
        """
        INSERT INTO topics (id, unit_id, domain_id, subdomain_id, code, name)
        SELECT t.id, u.id, d.id, s.id, t.code, t.name
        FROM unnest(CAST(:ids AS text[]), CAST(:unit_codes AS text[]), CAST(:codes AS text[]),
                    CAST(:names AS text[]), CAST(:domain_codes AS text[]),
                    CAST(:subdomain_codes AS text[]))
             AS t(id, unit_code, code, name, domain_code, subdomain_code)
        JOIN units u ON u.curriculum_id = :curriculum_id AND u.code = t.unit_code
        JOIN domains d ON d.code = t.domain_code
        JOIN subdomains s ON s.domain_id = d.id AND s.code = t.subdomain_code
        ON CONFLICT DO NOTHING
        """,
        {"curriculum_id": curriculum_id,
         "ids": [f"seed-topic-{_slug(unit, code)}" for unit, code, *_ in topics],
         "unit_codes": [t[0] for t in topics], "codes": [t[1] for t in topics],
         "names": [t[2] for t in topics], "domain_codes": [t[3] for t in topics],
         "subdomain_codes": [t[4] for t in topics]},
    )


def _seed_prerequisites(db: Database, curriculum_id: str) -> None:
    pairs = content.PREREQUISITES
    db.execute(
        """
        INSERT INTO topic_prerequisites (topic_id, prerequisite_topic_id)
        SELECT t.id, pt.id
        FROM unnest(CAST(:units AS text[]), CAST(:topics AS text[]),
                    CAST(:pre_units AS text[]), CAST(:pre_topics AS text[]))
             AS p(unit_code, topic_code, pre_unit_code, pre_topic_code)
        JOIN units u ON u.curriculum_id = :curriculum_id AND u.code = p.unit_code
        JOIN topics t ON t.unit_id = u.id AND t.code = p.topic_code
        JOIN units pu ON pu.curriculum_id = :curriculum_id AND pu.code = p.pre_unit_code
        JOIN topics pt ON pt.unit_id = pu.id AND pt.code = p.pre_topic_code
        ON CONFLICT DO NOTHING
        """,
        {"curriculum_id": curriculum_id,
         "units": [topic[0] for topic, _ in pairs], "topics": [topic[1] for topic, _ in pairs],
         "pre_units": [pre[0] for _, pre in pairs], "pre_topics": [pre[1] for _, pre in pairs]},
    )


def _seed_exercises(db: Database, curriculum_id: str) -> None:
    """System exercises with IRT parameters, ``content = {prompt, expectedAnswer?}``."""
    rows = []
    for (unit, topic), exercises in content.EXERCISES.items():
        ladder = content.IRT_LADDERS[len(exercises)]
        for n, ((prompt, answer), (irt_a, irt_b)) in enumerate(zip(exercises, ladder), start=1):
            body: dict[str, Any] = {"prompt": prompt}
            if answer is not None:
                body["expectedAnswer"] = answer
            rows.append((f"seed-ex-{_slug(unit, topic)}-{n:03d}", unit, topic,
                         json.dumps(body, ensure_ascii=False), float(irt_a), float(irt_b)))
    db.execute(
        """
        INSERT INTO exercises (id, topic_id, source, content, irt_a, irt_b)
        SELECT e.id, t.id, 'SYSTEM', CAST(e.content AS jsonb), e.irt_a, e.irt_b
        FROM unnest(CAST(:ids AS text[]), CAST(:units AS text[]), CAST(:topics AS text[]),
                    CAST(:contents AS text[]), CAST(:irt_a AS float8[]), CAST(:irt_b AS float8[]))
             AS e(id, unit_code, topic_code, content, irt_a, irt_b)
        JOIN units u ON u.curriculum_id = :curriculum_id AND u.code = e.unit_code
        JOIN topics t ON t.unit_id = u.id AND t.code = e.topic_code
        ON CONFLICT DO NOTHING
        """,
        {"curriculum_id": curriculum_id,
         "ids": [r[0] for r in rows], "units": [r[1] for r in rows], "topics": [r[2] for r in rows],
         "contents": [r[3] for r in rows], "irt_a": [r[4] for r in rows],
         "irt_b": [r[5] for r in rows]},
    )


def load_rule_engine_error_tags() -> list[dict[str, Any]]:
    """The rule engine's tags as error_tags rows (code, name, description, domain, subdomain, grades)."""
    tags = json.loads(ERROR_TAGS_FILE.read_text(encoding="utf-8"))["tags"]
    rows = []
    for tag in tags:
        suffix = re.match(r"\d+", tag.get("grade_suffix") or "")
        name, _ = RESERVED_TAGS.get(tag["code"], ("", ""))
        rows.append({
            "code": tag["code"], "name": name, "description": tag["description"],
            "domain_code": tag["domain"], "subdomain_code": tag["subdomain"],
            "grades": [int(suffix[0])] if suffix else [],
        })
    present = {row["code"] for row in rows}
    for code, (name, description) in RESERVED_TAGS.items():
        if code not in present:
            rows.append({"code": code, "name": name, "description": description, "domain_code": None,
                         "subdomain_code": None, "grades": []})
    return rows


def _seed_error_tags(db: Database) -> None:
    """Upsert by code. Only the fields the rule engine defines are refreshed (names, status and
    curation made elsewhere are kept), and unchanged rows are not touched (updated_at stays)."""
    rows = load_rule_engine_error_tags()
    db.execute(
        """
        INSERT INTO error_tags (id, code, name, description, domain_id, subdomain_code, applicable_grades)
        SELECT t.id, t.code, t.name, t.description, d.id, t.subdomain_code,
               CASE WHEN t.grade IS NULL THEN CAST('{}' AS int[]) ELSE ARRAY[t.grade] END
        FROM unnest(CAST(:ids AS text[]), CAST(:codes AS text[]), CAST(:names AS text[]),
                    CAST(:descriptions AS text[]), CAST(:domain_codes AS text[]),
                    CAST(:subdomain_codes AS text[]), CAST(:grades AS int[]))
             AS t(id, code, name, description, domain_code, subdomain_code, grade)
        LEFT JOIN domains d ON d.code = t.domain_code
        ON CONFLICT (code) DO UPDATE SET
            description = EXCLUDED.description,
            domain_id = EXCLUDED.domain_id,
            subdomain_code = EXCLUDED.subdomain_code,
            applicable_grades = EXCLUDED.applicable_grades,
            updated_at = now()
        WHERE (error_tags.description, error_tags.domain_id, error_tags.subdomain_code,
               error_tags.applicable_grades)
              IS DISTINCT FROM (EXCLUDED.description, EXCLUDED.domain_id, EXCLUDED.subdomain_code,
                                EXCLUDED.applicable_grades)
        """,
        {"ids": [f"seed-tag-{_slug(r['code'])}" for r in rows],
         "codes": [r["code"] for r in rows], "names": [r["name"] for r in rows],
         "descriptions": [r["description"] for r in rows],
         "domain_codes": [r["domain_code"] for r in rows],
         "subdomain_codes": [r["subdomain_code"] for r in rows],
         # The rule engine's tags carry at most one grade (their _G<n> suffix).
         "grades": [r["grades"][0] if r["grades"] else None for r in rows]},
    )


# -- School, course and people ---------------------------------------------------------------

def _seed_school(db: Database) -> str:
    db.execute(
        "INSERT INTO organizations (id, name, billing_email, plan)"
        " VALUES (:id, :name, :billing_email, :plan) ON CONFLICT DO NOTHING",
        ORGANIZATION,
    )
    db.execute(
        "INSERT INTO schools (id, organization_id, name, rbd, city, region, domain)"
        " VALUES (:id, :organization_id, :name, :rbd, :city, :region, :domain) ON CONFLICT DO NOTHING",
        {**SCHOOL, "organization_id": ORGANIZATION["id"]},
    )
    return db.fetch_value("SELECT id FROM schools WHERE rbd = :rbd", SCHOOL)


def _seed_course(db: Database, school_id: str, subject_id: str, year: int) -> str:
    db.execute(
        "INSERT INTO courses (id, school_id, subject_id, name, grade_level, letter, academic_year)"
        " VALUES (:id, :school_id, :subject_id, :name, :grade_level, :letter, :year)"
        " ON CONFLICT DO NOTHING",
        {**COURSE, "school_id": school_id, "subject_id": subject_id, "year": year},
    )
    return COURSE["id"]


def _seed_accounts(db: Database) -> list[dict[str, Any]]:
    """Users and role profiles, resolved by Supabase subject and user (existing rows are reused)."""
    db.execute(
        "INSERT INTO users (id, supabase_uid, email, auth_role, full_name)"
        " SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:subjects AS text[]),"
        " CAST(:emails AS text[]), CAST(:roles AS text[]), CAST(:names AS text[]))"
        " ON CONFLICT DO NOTHING",
        {"ids": [a.user_id for a in ACCOUNTS], "subjects": [a.subject for a in ACCOUNTS],
         "emails": [a.email for a in ACCOUNTS], "roles": [a.role for a in ACCOUNTS],
         "names": [a.name for a in ACCOUNTS]},
    )
    user_ids = {
        row["supabase_uid"]: row["id"]
        for row in db.fetch_all("SELECT supabase_uid, id FROM users WHERE supabase_uid = ANY(:subjects)",
                                {"subjects": [a.subject for a in ACCOUNTS]})
    }
    missing = [a.subject for a in ACCOUNTS if a.subject not in user_ids]
    if missing:
        raise RuntimeError(f"demo users {missing} could not be created: their e-mail belongs to"
                           " another account")
    accounts = []
    for account in ACCOUNTS:
        user_id = user_ids[account.subject]
        profile_id = None
        if account.role in _PROFILE_SQL:
            insert, lookup = _PROFILE_SQL[account.role]
            db.execute(insert, {"id": account.profile_id, "user_id": user_id, "name": account.name})
            profile_id = db.fetch_value(lookup, {"user_id": user_id})
        accounts.append({"role": account.role, "subject": account.subject, "email": account.email,
                         "name": account.name, "user_id": user_id, "profile_id": profile_id})
    return accounts


def _seed_roster(db: Database, course_id: str, accounts: list[dict[str, Any]]) -> None:
    """The teacher leads the course, the students are enrolled, the parent's link is confirmed."""
    profile = {a["subject"]: a["profile_id"] for a in accounts}
    teacher_id = next(a["profile_id"] for a in accounts if a["role"] == "teacher")
    students = [a for a in accounts if a["role"] == "student"]
    parent_id = next(a["profile_id"] for a in accounts if a["role"] == "parent")
    db.execute(
        "INSERT INTO course_teachers (course_id, teacher_id, role) VALUES (:course, :teacher, 'LEAD')"
        " ON CONFLICT DO NOTHING",
        {"course": course_id, "teacher": teacher_id},
    )
    db.execute(
        "INSERT INTO enrollments (id, course_id, student_id)"
        " SELECT * FROM unnest(CAST(:ids AS text[]), CAST(:courses AS text[]),"
        " CAST(:students AS text[])) ON CONFLICT DO NOTHING",
        {"ids": [f"seed-enrollment-{n:03d}" for n in range(1, len(students) + 1)],
         "courses": [course_id] * len(students),
         "students": [s["profile_id"] for s in students]},
    )
    # Consent recorded; a link that exists unconfirmed gets confirmed, a confirmed one keeps its time.
    db.execute(
        "INSERT INTO parent_links (parent_id, student_id, relationship, confirmed_at)"
        " VALUES (:parent, :student, :relationship, now())"
        " ON CONFLICT (parent_id, student_id) DO UPDATE SET confirmed_at = EXCLUDED.confirmed_at"
        " WHERE parent_links.confirmed_at IS NULL",
        {"parent": parent_id, "student": profile[PARENT_OF], "relationship": PARENT_RELATIONSHIP},
    )
