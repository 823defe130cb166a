"""Building realistic data for tests: schools with courses, teachers, students, parents, topics.

    school = build_school(db, "a")          # a school with one course, a teacher, 2 students, a parent
    headers = tokens.headers(**school.teacher.claims)

Every person has a ``users`` row with a Supabase subject, so a token for ``person.claims`` links
to the existing profile. Rows are inserted with plain SQL; ids are readable (``a-course``…).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from chalicelib.store.database import Database


@dataclass
class Person:
    role: str
    subject: str
    user_id: str
    profile_id: str | None
    email: str

    @property
    def claims(self) -> dict:
        """Keyword arguments for ``TokenFactory.make/headers``."""
        return {"role": self.role, "sub": self.subject, "email": self.email}


@dataclass
class School:
    key: str
    school_id: str
    subject_id: str
    unit_id: str
    topic_ids: list[str]
    course_id: str
    teacher: Person
    students: list[Person]
    parent: Person
    exercise_ids: list[str] = field(default_factory=list)


def add_person(db: Database, role: str, key: str, display_name: str | None = None) -> Person:
    """A user with the profile row of ``role`` (admins have none)."""
    subject = f"sub-{key}"
    email = f"{key}@example.test"
    user_id = db.fetch_value(
        "INSERT INTO users (id, supabase_uid, email, auth_role, updated_at)"
        " VALUES (:id, :sub, :email, :role, now()) RETURNING id",
        {"id": f"user-{key}", "sub": subject, "email": email, "role": role})
    profile_id = None
    if role == "teacher":
        profile_id = db.fetch_value("INSERT INTO teachers (id, user_id) VALUES (:id, :u) RETURNING id",
                                    {"id": f"teacher-{key}", "u": user_id})
    elif role == "student":
        profile_id = db.fetch_value(
            "INSERT INTO students (id, user_id, display_name) VALUES (:id, :u, :n) RETURNING id",
            {"id": f"student-{key}", "u": user_id, "n": display_name or f"Alumno {key}"})
    elif role == "parent":
        profile_id = db.fetch_value("INSERT INTO parents (id, user_id) VALUES (:id, :u) RETURNING id",
                                    {"id": f"parent-{key}", "u": user_id})
    return Person(role, subject, user_id, profile_id, email)


def math_curriculum(db: Database) -> tuple[str, str]:
    """The MATH subject and its curriculum (created once, shared by every school and catalogue): their ids."""
    subject_id = db.fetch_value(
        "INSERT INTO subjects (id, code, name) VALUES ('subject-math', 'MATH', 'Matemáticas')"
        " ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name RETURNING id")
    curriculum_id = db.fetch_value(
        "INSERT INTO curricula (id, subject_id, name) VALUES ('curriculum-math', :s, 'Bases Curriculares')"
        " ON CONFLICT (subject_id, country, version) DO UPDATE SET name = EXCLUDED.name RETURNING id",
        {"s": subject_id})
    return subject_id, curriculum_id


def build_school(db: Database, key: str, *, students: int = 2, topics: int = 2) -> School:
    """One school with a MATH course (grade 4), its teacher, enrolled students, a linked parent."""
    org = db.fetch_value("INSERT INTO organizations (id, name) VALUES (:id, :n) RETURNING id",
                         {"id": f"{key}-org", "n": f"Org {key}"})
    school_id = db.fetch_value(
        "INSERT INTO schools (id, organization_id, name) VALUES (:id, :o, :n) RETURNING id",
        {"id": f"{key}-school", "o": org, "n": f"Escuela {key}"})
    subject_id, curriculum_id = math_curriculum(db)
    unit_id = db.fetch_value(
        "INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)"
        " VALUES (:id, :c, 4, 1, :code, :n) RETURNING id",
        {"id": f"{key}-unit", "c": curriculum_id, "code": f"U-{key}", "n": f"Unidad {key}"})
    topic_ids = [
        db.fetch_value("INSERT INTO topics (id, unit_id, code, name) VALUES (:id, :u, :code, :n) RETURNING id",
                       {"id": f"{key}-topic-{i}", "u": unit_id, "code": f"T-{key.upper()}-{i}", "n": f"Tema {i}"})
        for i in range(topics)
    ]
    course_id = db.fetch_value(
        "INSERT INTO courses (id, school_id, subject_id, name, grade_level, letter, academic_year)"
        " VALUES (:id, :s, :subj, :n, 4, 'B', 2026) RETURNING id",
        {"id": f"{key}-course", "s": school_id, "subj": subject_id, "n": f"4° básico B {key}"})
    teacher = add_person(db, "teacher", f"{key}-teacher")
    db.execute("INSERT INTO course_teachers (course_id, teacher_id) VALUES (:c, :t)",
               {"c": course_id, "t": teacher.profile_id})
    pupils = [add_person(db, "student", f"{key}-student-{i}") for i in range(students)]
    for pupil in pupils:
        db.execute("INSERT INTO enrollments (id, course_id, student_id) VALUES (:id, :c, :s)",
                   {"id": f"enr-{pupil.profile_id}", "c": course_id, "s": pupil.profile_id})
    parent = add_person(db, "parent", f"{key}-parent")
    db.execute("INSERT INTO parent_links (parent_id, student_id, relationship, confirmed_at)"
               " VALUES (:p, :s, 'MADRE', now())", {"p": parent.profile_id, "s": pupils[0].profile_id})
    exercise_ids = [
        db.fetch_value("INSERT INTO exercises (id, topic_id, content, irt_a, irt_b) VALUES (:id, :t, :c, 1.0, 0.0)"
                       " RETURNING id", {"id": f"{key}-ex-{i}", "t": topic, "c": {"prompt": f"{i} + 1", "expectedAnswer": i + 1}})
        for i, topic in enumerate(topic_ids)
    ]
    return School(key, school_id, subject_id, unit_id, topic_ids, course_id, teacher, pupils, parent, exercise_ids)


def add_alert(db: Database, school: School, *, student: Person | None = None, alert_type: str = "AT_RISK_STUDENT",
              severity: str = "HIGH", resolved: bool = False, age_minutes: int = 0,
              topic_id: str | None = None, payload: dict | None = None) -> str:
    """A teacher alert of the school's course (for its teacher); returns its id."""
    return db.fetch_value(
        "INSERT INTO teacher_alerts (teacher_id, course_id, topic_id, student_id, alert_type, severity, payload,"
        " created_at, resolved_at)"
        " VALUES (:t, :c, :topic, :s, :type, :sev, CAST(:p AS jsonb), now() - make_interval(mins => :age),"
        " CASE WHEN :resolved THEN now() END) RETURNING id",
        {"t": school.teacher.profile_id, "c": school.course_id, "topic": topic_id,
         "s": student.profile_id if student else None, "type": alert_type, "sev": severity,
         "p": payload or {}, "age": age_minutes, "resolved": resolved})


def set_mastery(db: Database, student_id: str, topic_id: str, p_known: float, *, attempts: int = 3) -> None:
    """Upsert the BKT record of a student on a topic."""
    db.execute(
        "INSERT INTO student_topic_mastery (student_id, topic_id, p_known, attempts_count, last_attempt_at)"
        " VALUES (:s, :t, :p, :n, now()) ON CONFLICT (student_id, topic_id)"
        " DO UPDATE SET p_known = EXCLUDED.p_known, attempts_count = EXCLUDED.attempts_count",
        {"s": student_id, "t": topic_id, "p": p_known, "n": attempts})


def add_guide(db: Database, school: School, key: str, *, status: str = "PUBLISHED", questions: int = 2,
              published_minutes_ago: int = 0) -> tuple[str, list[str]]:
    """A guide of the school's course with APPROVED questions; returns (guide id, question ids)."""
    guide_id = db.fetch_value(
        "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key, question_count,"
        " published_at) VALUES (:id, :c, :t, :title, CAST(:status AS \"GuideStatus\"), :key, :n,"
        " CASE WHEN :status = 'PUBLISHED' THEN now() - make_interval(mins => :age) END) RETURNING id",
        {"id": f"guide-{key}", "c": school.course_id, "t": school.teacher.profile_id, "title": f"Guía {key}",
         "status": status, "key": f"guides/uploads/{key}.pdf", "n": questions, "age": published_minutes_ago})
    question_ids = [
        db.fetch_value(
            "INSERT INTO guide_questions (id, guide_id, sequence, statement_latex, status)"
            " VALUES (:id, :g, :n, :s, 'APPROVED') RETURNING id",
            {"id": f"{guide_id}-q{i}", "g": guide_id, "n": i, "s": f"{i} + {i}"})
        for i in range(questions)
    ]
    return guide_id, question_ids


def add_submission(db: Database, guide_id: str, question_id: str, student: Person, *, status: str = "GRADED") -> str:
    """A guide submission of a student for one question."""
    return db.fetch_value(
        "INSERT INTO guide_submissions (guide_id, guide_question_id, student_id, status)"
        " VALUES (:g, :q, :s, CAST(:status AS \"SubmissionStatus\")) RETURNING id",
        {"g": guide_id, "q": question_id, "s": student.profile_id, "status": status})


# -- attempts and mastery (rule-engine catalogue) -----------------------------------------------------

@dataclass
class RoutedCatalogue:
    """Taxonomy units and topics laid out like the demo seed, with the rule engine's error tags."""

    topic_ids: dict[str, str]  # qualified code "<unit code>/<topic code>" → topic id
    unit_ids: dict[str, str]  # unit code → unit id
    domain_ids: dict[str, str]  # domain code → domain id
    subdomain_ids: dict[str, str]  # "<domain code>_<subdomain code>" → subdomain id


def add_routed_catalogue(db: Database, layout: dict[str, list[str]] | None = None) -> RoutedCatalogue:
    """Domains with subdomains, and per domain a unit (code = domain code) holding one topic per
    subdomain (code = subdomain code, linked to it), so ``ARITH/SUB`` routes to ``ARITH_SUB`` and the
    bare code ``SUB`` is ambiguous. Also every error tag the rule engine emits (CORRECT and
    UNCLASSIFIED included). Topics use the default BKT parameters."""
    from chalicelib.store.demo_seed import load_rule_engine_error_tags

    layout = layout or {"ARITH": ["SUB", "ADD"], "INT": ["SUB"], "FRACT": ["ADDSUB"]}
    _, curriculum_id = math_curriculum(db)
    catalogue = RoutedCatalogue({}, {}, {}, {})
    for position, (domain, subdomains) in enumerate(layout.items(), start=1):
        domain_id = catalogue.domain_ids[domain] = db.fetch_value(
            "INSERT INTO domains (id, code, name) VALUES (:id, :code, :name) RETURNING id",
            {"id": f"domain-{domain.lower()}", "code": domain, "name": f"Dominio {domain}"})
        unit_id = catalogue.unit_ids[domain] = db.fetch_value(
            "INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)"
            " VALUES (:id, :c, 4, :seq, :code, :name) RETURNING id",
            {"id": f"unit-{domain.lower()}", "c": curriculum_id, "seq": 100 + position, "code": domain,
             "name": f"Unidad {domain}"})
        for sub in subdomains:
            subdomain_id = catalogue.subdomain_ids[f"{domain}_{sub}"] = db.fetch_value(
                "INSERT INTO subdomains (id, domain_id, code, name) VALUES (:id, :d, :code, :name) RETURNING id",
                {"id": f"subdomain-{domain.lower()}-{sub.lower()}", "d": domain_id, "code": sub,
                 "name": f"Subdominio {domain} {sub}"})
            catalogue.topic_ids[f"{domain}/{sub}"] = db.fetch_value(
                "INSERT INTO topics (id, unit_id, subdomain_id, domain_id, code, name)"
                " VALUES (:id, :u, :sd, :d, :code, :name) RETURNING id",
                {"id": f"topic-{domain.lower()}-{sub.lower()}", "u": unit_id, "sd": subdomain_id, "d": domain_id,
                 "code": sub, "name": f"Tema {domain} {sub}"})
    tags = load_rule_engine_error_tags()
    db.execute(
        "INSERT INTO error_tags (code, name, description, domain_id, subdomain_code)"
        " SELECT t.code, t.name, t.description, (SELECT id FROM domains WHERE code = t.domain), t.subdomain"
        " FROM unnest(CAST(:codes AS text[]), CAST(:names AS text[]), CAST(:descriptions AS text[]),"
        "             CAST(:domains AS text[]), CAST(:subdomains AS text[])) AS t(code, name, description, domain, subdomain)"
        " ON CONFLICT (code) DO NOTHING",
        {"codes": [t["code"] for t in tags], "names": [t.get("name") or "" for t in tags],
         "descriptions": [t.get("description") or t["code"] for t in tags],
         "domains": [t.get("domain_code") for t in tags], "subdomains": [t.get("subdomain_code") for t in tags]})
    return catalogue


def add_exercise(db: Database, key: str, topic_id: str, content: dict | None = None, *, a: float = 1.0,
                 b: float = 0.0, status: str = "ACTIVE") -> str:
    """An exercise of ``topic_id`` (default content: a prompt and its expected answer)."""
    import json

    return db.fetch_value(
        "INSERT INTO exercises (id, topic_id, content, irt_a, irt_b, status)"
        " VALUES (:id, :t, CAST(:c AS jsonb), :a, :b, :status) RETURNING id",
        {"id": key, "t": topic_id, "c": json.dumps(content or {"prompt": "53 - 26", "expectedAnswer": 27}),
         "a": a, "b": b, "status": status})


def add_taxonomy(db: Database, domains: dict[str, list[str]] | None = None) -> dict[str, str]:
    """Domains with their subdomains (default: ARITH, INT, FRACT with a few each); returns code → id."""
    domains = domains or {"ARITH": ["ADD", "SUB", "MUL"], "INT": ["ADD", "SUB"], "FRACT": ["ADDSUB"]}
    ids = {}
    for code, subdomains in domains.items():
        ids[code] = db.fetch_value("INSERT INTO domains (id, code, name) VALUES (:id, :code, :name) RETURNING id",
                                   {"id": f"domain-{code.lower()}", "code": code, "name": f"Dominio {code}"})
        for sub in subdomains:
            db.execute("INSERT INTO subdomains (id, domain_id, code, name) VALUES (:id, :d, :code, :name)",
                       {"id": f"subdomain-{code.lower()}-{sub.lower()}", "d": ids[code], "code": sub,
                        "name": f"Subdominio {sub}"})
    return ids


def add_error_tag(db: Database, code: str, *, domain: str | None = None, subdomain: str | None = None,
                  status: str = "ACTIVE", source: str = "CURATED", name: str = "", description: str | None = None,
                  severity: str = "MED", grades: list[int] | None = None, hint: str | None = None) -> str:
    """One catalogue row (its domain, if given, must exist); returns its id."""
    return db.fetch_value(
        """INSERT INTO error_tags (code, name, description, domain_id, subdomain_code, status, source, severity,
                                   applicable_grades, diagnostic_hint)
           VALUES (:code, :name, :description, (SELECT id FROM domains WHERE code = :domain), :subdomain,
                   CAST(:status AS "ErrorStatus"), CAST(:source AS "ErrorSource"), CAST(:severity AS "ErrorSeverity"),
                   CAST(:grades AS int[]), :hint) RETURNING id""",
        {"code": code, "name": name, "description": description or f"Descripción de {code}", "domain": domain,
         "subdomain": subdomain, "status": status, "source": source, "severity": severity,
         "grades": grades or [], "hint": hint})
