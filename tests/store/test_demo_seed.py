"""The demo seed: idempotent, covers every rule-engine routing key, links people correctly."""
from __future__ import annotations

import json

import pytest

from chalicelib.store import users
from chalicelib.store.database import Database
from chalicelib.store.demo_seed import ERROR_TAGS_FILE, seed_demo_data

# domain.md §1.4: the 19 registered routing keys, and the seeded topic codes that reach them.
ROUTING_KEYS = [
    "ARITH_SUB", "ARITH_ADD", "ARITH_MUL", "ARITH_DIV", "INT_ADD", "INT_SUB", "INT_MUL",
    "FRACT_ADDSUB", "FRACT_MUL", "FRACT_DIV", "DEC_ADD", "DEC_SUB", "DEC_MUL", "DEC_DIV",
    "RATIO_PERCENT", "RATIO_PROPORTION", "ALGEBRA_EQ_LINEAR", "POW_POWER", "POW_ROOT",
]
LEGACY_TOPIC_KEYS = {"T-SUB-BORROW": "ARITH_SUB", "T-ADD-CARRY": "ARITH_ADD",
                     "T-FRAC-SAME-DENOM": "FRACT_ADDSUB"}
# domain.md §6.5: 17 domains, 106 subdomains.
DOMAIN_CODES = {"ARITH", "INT", "FRACT", "DEC", "RATIO", "ALGEBRA", "POW", "FUNC", "GEOM", "GEOM3D",
                "TRIG", "STAT", "DATA", "LOG", "SEQ", "COORD", "TRANSV"}

_TOPIC_ROUTES = """
SELECT u.code AS unit_code, t.code AS topic_code, d.code || '_' || s.code AS routing_key,
       (SELECT count(*) FROM exercises e WHERE e.topic_id = t.id) AS exercise_count
FROM topics t
JOIN units u ON u.id = t.unit_id
JOIN curricula c ON c.id = u.curriculum_id
JOIN subjects sj ON sj.id = c.subject_id AND sj.code = 'MATH'
LEFT JOIN domains d ON d.id = t.domain_id
LEFT JOIN subdomains s ON s.id = t.subdomain_id
"""


def _row_counts(db: Database) -> dict[str, int]:
    tables = [r["t"] for r in db.fetch_all(
        "SELECT tablename::text AS t FROM pg_tables WHERE schemaname = 'public'"
        " AND tablename <> 'schema_migrations'")]
    # Table names come from the catalogue, not from input; quoted as identifiers.
    return {t: db.fetch_value(f'SELECT count(*) FROM "{t}"') for t in tables}


@pytest.fixture
def seeded(db: Database) -> dict:
    return seed_demo_data(db, academic_year=2026)


def test_seeding_twice_changes_nothing(db: Database, seeded: dict) -> None:
    counts = _row_counts(db)
    tag_updates = db.fetch_all("SELECT code, updated_at FROM error_tags ORDER BY code")
    assert seed_demo_data(db, academic_year=2027) == seeded
    assert _row_counts(db) == counts
    assert db.fetch_all("SELECT code, updated_at FROM error_tags ORDER BY code") == tag_updates
    year = db.fetch_value("SELECT academic_year FROM courses WHERE id = :c", {"c": seeded["course_id"]})
    assert year == 2026  # the first run's year is kept
    assert counts["domains"] == 17 and counts["subdomains"] == 106 and counts["topics"] == 109


def test_every_routing_key_has_its_taxonomy_topic(db: Database, seeded: dict) -> None:
    topics = db.fetch_all(_TOPIC_ROUTES)
    by_key: dict[str, list[dict]] = {}
    for topic in topics:
        by_key.setdefault(topic["routing_key"], []).append(topic)
    for key in ROUTING_KEYS:
        domain, subdomain = key.split("_", 1)
        # The taxonomy topic: unit code = domain code, topic code = subdomain code.
        candidates = by_key.get(key, [])
        assert any(t["unit_code"] == domain and t["topic_code"] == subdomain for t in candidates), key
    # Routed topics have three exercises each for the demo.
    assert all(t["exercise_count"] >= 3 for key in ROUTING_KEYS for t in by_key[key])


def test_every_subdomain_has_a_topic_and_every_topic_is_linked(db: Database, seeded: dict) -> None:
    topics = db.fetch_all(_TOPIC_ROUTES)
    assert all(t["routing_key"] is not None for t in topics)
    assert {t["unit_code"] for t in topics} == DOMAIN_CODES | {"LEGACY"}
    subdomain_keys = {r["k"] for r in db.fetch_all(
        "SELECT d.code || '_' || s.code AS k FROM subdomains s JOIN domains d ON d.id = s.domain_id")}
    taxonomy_keys = {t["routing_key"] for t in topics if t["unit_code"] != "LEGACY"}
    assert len(subdomain_keys) == 106 and taxonomy_keys == subdomain_keys
    assert all(t["exercise_count"] >= 2 for t in topics)


def test_legacy_topics_route_to_their_strategies(db: Database, seeded: dict) -> None:
    legacy = {t["topic_code"]: t["routing_key"] for t in db.fetch_all(_TOPIC_ROUTES)
              if t["unit_code"] == "LEGACY"}
    assert legacy == LEGACY_TOPIC_KEYS


def test_exercises_carry_a_prompt_numeric_answers_and_irt_parameters(db: Database, seeded: dict) -> None:
    rows = db.fetch_all("SELECT id, content, irt_a, irt_b, source, status FROM exercises")
    assert all(r["id"].startswith("seed-ex-") and r["source"] == "SYSTEM" and r["status"] == "ACTIVE"
               for r in rows)
    assert all(isinstance(r["content"]["prompt"], str) and r["content"]["prompt"] for r in rows)
    answers = [r["content"]["expectedAnswer"] for r in rows if "expectedAnswer" in r["content"]]
    assert len(answers) > 200 and all(isinstance(a, (int, float)) for a in answers)
    assert all(r["irt_a"] > 0 for r in rows)
    assert min(r["irt_b"] for r in rows) <= -0.4 and max(r["irt_b"] for r in rows) >= 0.7
    sub = db.fetch_value("SELECT content FROM exercises WHERE id = 'seed-ex-legacy-t-sub-borrow-001'")
    assert sub == {"prompt": "53 - 26", "expectedAnswer": 27}


def test_some_topics_have_prerequisites(db: Database, seeded: dict) -> None:
    pairs = db.fetch_all(
        "SELECT u.code || '/' || t.code AS topic, pu.code || '/' || pt.code AS prerequisite"
        " FROM topic_prerequisites p"
        " JOIN topics t ON t.id = p.topic_id JOIN units u ON u.id = t.unit_id"
        " JOIN topics pt ON pt.id = p.prerequisite_topic_id JOIN units pu ON pu.id = pt.unit_id")
    assert {"topic": "ARITH/DIV", "prerequisite": "ARITH/MUL"} in pairs
    assert len(pairs) >= 10


def test_rule_engine_error_tags_are_seeded_with_the_reserved_ones(db: Database, seeded: dict) -> None:
    spec = json.loads(ERROR_TAGS_FILE.read_text(encoding="utf-8"))
    rows = {r["code"]: r for r in db.fetch_all(
        "SELECT t.code, d.code AS domain, t.subdomain_code, t.applicable_grades, t.status::text AS status"
        " FROM error_tags t LEFT JOIN domains d ON d.id = t.domain_id")}
    assert set(rows) == {tag["code"] for tag in spec["tags"]} and len(rows) == spec["count"] == 54
    for tag in spec["tags"]:
        row = rows[tag["code"]]
        assert (row["domain"], row["subdomain_code"]) == (tag["domain"], tag["subdomain"]), tag["code"]
        assert row["status"] == "ACTIVE"
    assert rows["CORRECT"]["domain"] is None and rows["UNCLASSIFIED"]["domain"] is None
    assert rows["ARITH_SUB_BORROW_OMITTED_TENS_G3"]["applicable_grades"] == [3]


def test_error_tags_are_upserted_by_code(db: Database) -> None:
    # A tag imported earlier (other id, stale description, curated name and status) is updated in
    # place: the rule engine's fields are refreshed, the curation is kept, no duplicate appears.
    db.execute("INSERT INTO domains (id, code, name) VALUES ('imported-arith', 'ARITH', 'Aritmética')")
    db.execute(
        "INSERT INTO error_tags (id, code, name, description, status, updated_at)"
        " VALUES ('imported-tag', 'ARITH_SUB_BORROW_OMITTED_TENS_G3', 'Olvida la reserva', 'old',"
        " 'DRAFT', '2020-01-01T00:00:00Z')")
    seed_demo_data(db)
    tag = db.fetch_one("SELECT id, name, description, domain_id, status::text AS status, updated_at"
                       " FROM error_tags WHERE code = 'ARITH_SUB_BORROW_OMITTED_TENS_G3'")
    assert tag["id"] == "imported-tag" and tag["domain_id"] == "imported-arith"
    assert (tag["name"], tag["status"]) == ("Olvida la reserva", "DRAFT")
    assert tag["description"].startswith("Did not borrow")
    assert tag["updated_at"].year > 2020
    assert db.fetch_value("SELECT count(*) FROM domains WHERE code = 'ARITH'") == 1


def test_people_course_and_enrolments(db: Database, seeded: dict) -> None:
    course = db.fetch_one("SELECT grade_level, letter, name, subject_id FROM courses WHERE id = :c",
                          {"c": seeded["course_id"]})
    assert course == {"grade_level": 4, "letter": "B", "name": "4° básico B · Matemáticas",
                      "subject_id": seeded["subject_id"]}
    lead = db.fetch_one(
        "SELECT u.supabase_uid, ct.role FROM course_teachers ct JOIN teachers t ON t.id = ct.teacher_id"
        " JOIN users u ON u.id = t.user_id WHERE ct.course_id = :c", {"c": seeded["course_id"]})
    assert lead == {"supabase_uid": "demo-teacher", "role": "LEAD"}
    enrolled = db.fetch_all(
        "SELECT u.supabase_uid, e.status FROM enrollments e JOIN students s ON s.id = e.student_id"
        " JOIN users u ON u.id = s.user_id WHERE e.course_id = :c ORDER BY u.supabase_uid",
        {"c": seeded["course_id"]})
    assert enrolled == [{"supabase_uid": f"demo-student-{n}", "status": "ACTIVE"} for n in (1, 2, 3)]
    assert db.fetch_value("SELECT auth_role FROM users WHERE supabase_uid = 'demo-admin'") == "admin"
    assert {a["subject"]: a["role"] for a in seeded["accounts"]} == {
        "demo-teacher": "teacher", "demo-student-1": "student", "demo-student-2": "student",
        "demo-student-3": "student", "demo-parent": "parent", "demo-admin": "admin"}


def test_the_parent_is_linked_to_student_one_with_consent(db: Database, seeded: dict) -> None:
    links = db.fetch_all(
        "SELECT pu.supabase_uid AS parent, su.supabase_uid AS child, l.relationship, l.confirmed_at"
        " FROM parent_links l JOIN parents p ON p.id = l.parent_id JOIN users pu ON pu.id = p.user_id"
        " JOIN students s ON s.id = l.student_id JOIN users su ON su.id = s.user_id")
    assert len(links) == 1
    link = links[0]
    assert (link["parent"], link["child"], link["relationship"]) == ("demo-parent", "demo-student-1", "PADRE")
    assert link["confirmed_at"] is not None
    assert seeded["parent_id"] == db.fetch_value("SELECT parent_id FROM parent_links")


def test_demo_users_created_by_an_earlier_login_are_reused(db: Database) -> None:
    # A demo token used before seeding creates the user and profile (auth linking) with random ids;
    # the seed must attach those rows, not fail or create a second teacher.
    with db.transaction():
        users.insert_user(db, subject="demo-teacher", email="demo-teacher@demo.innova.test", role="teacher")
        user_id = db.fetch_value("SELECT id FROM users WHERE supabase_uid = 'demo-teacher'")
        users.ensure_teacher(db, user_id)
    teacher_id = db.fetch_value("SELECT id FROM teachers WHERE user_id = :u", {"u": user_id})

    result = seed_demo_data(db)

    assert result["teacher_id"] == teacher_id != "seed-teacher-001"
    assert db.fetch_value("SELECT count(*) FROM teachers") == 1
    assert db.fetch_value("SELECT teacher_id FROM course_teachers") == teacher_id
    assert next(a for a in result["accounts"] if a["role"] == "teacher")["user_id"] == user_id
