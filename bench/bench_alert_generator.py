"""Benchmark: one hourly alert run over 300 courses × 10,000 students × 20 topics.

    .venv/bin/python bench/bench_alert_generator.py [--courses 300] [--students 10000] [--topics 20]

Builds the data with ``generate_series`` on a scratch database of the embedded PostgreSQL (or
``DATABASE_URL``): students spread over the courses (one LEAD teacher each), one mastery row per
student × topic (per-student ability plus noise), attempts over the last 6 days, one published
guide of 5 questions per course with graded submissions and error tags. Then times
``generate_alerts`` (first run: inserts; second run: everything deduplicated) and prints seconds
and SQL statements — also for a tiny data set, to show the statement count does not depend on size.
Target: ≤ 1.5 s per run. Finally measures the alertGenerator cold import (with and without .pyc).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

PROJECT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(PROJECT))

from bench.scratch_database import scratch_database  # noqa: E402

DATA_STATEMENTS = [
    "INSERT INTO organizations (id, name) VALUES ('bench-org', 'Bench')",
    "INSERT INTO schools (id, organization_id, name) VALUES ('bench-school', 'bench-org', 'Escuela')",
    "INSERT INTO subjects (id, code, name) VALUES ('subject-math', 'MATH', 'Matemáticas')",
    "INSERT INTO curricula (id, subject_id, name) VALUES ('curriculum-math', 'subject-math', 'Bases')",
    "INSERT INTO units (id, curriculum_id, grade_level, sequence, code, name)"
    " SELECT 'unit-' || u, 'curriculum-math', 4, u, 'U' || u, 'Unidad ' || u FROM generate_series(0, 3) u",
    "INSERT INTO topics (id, unit_id, code, name)"
    " SELECT 'topic-' || t, 'unit-' || (t % 4), 'T' || lpad(t::text, 3, '0'), 'Tema ' || t"
    " FROM generate_series(0, :topics - 1) t",
    "INSERT INTO exercises (id, topic_id, content)"
    " SELECT 'ex-' || t, 'topic-' || t, '{}' FROM generate_series(0, :topics - 1) t",
    "INSERT INTO users (id, email) SELECT 'user-t' || c, 't' || c || '@bench.test' FROM generate_series(0, :courses - 1) c",
    "INSERT INTO teachers (id, user_id) SELECT 'teacher-' || c, 'user-t' || c FROM generate_series(0, :courses - 1) c",
    "INSERT INTO courses (id, school_id, subject_id, name, grade_level, academic_year)"
    " SELECT 'course-' || c, 'bench-school', 'subject-math', 'Curso ' || c, 4, 2026 FROM generate_series(0, :courses - 1) c",
    "INSERT INTO course_teachers (course_id, teacher_id)"
    " SELECT 'course-' || c, 'teacher-' || c FROM generate_series(0, :courses - 1) c",
    "INSERT INTO students (id, display_name) SELECT 'student-' || s, 'Alumno ' || s FROM generate_series(0, :students - 1) s",
    "INSERT INTO enrollments (id, course_id, student_id)"
    " SELECT 'enr-' || s, 'course-' || (s % :courses), 'student-' || s FROM generate_series(0, :students - 1) s",
    "INSERT INTO student_topic_mastery (student_id, topic_id, p_known, attempts_count, updated_at)"
    " SELECT 'student-' || s, 'topic-' || t, least(0.99, greatest(0.01, ability + (random() - 0.5) * 0.3)),"
    "        floor(random() * 12)::int, now()"
    " FROM (SELECT s, 0.15 + 0.8 * random() AS ability FROM generate_series(0, :students - 1) s) st"
    " CROSS JOIN generate_series(0, :topics - 1) t",
    "INSERT INTO attempts (student_id, exercise_id, course_id, is_correct, created_at)"
    " SELECT 'student-' || s, 'ex-' || floor(random() * :topics)::int, 'course-' || (s % :courses), random() < 0.6,"
    "        now() - random() * interval '6 days'"
    " FROM generate_series(0, :students - 1) s CROSS JOIN generate_series(1, 4) n",
    "INSERT INTO guides (id, course_id, created_by_teacher_id, title, status, source_pdf_key, published_at)"
    " SELECT 'guide-' || c, 'course-' || c, 'teacher-' || c, 'Guía ' || c, 'PUBLISHED', 'guides/uploads/g.pdf', now()"
    " FROM generate_series(0, :courses - 1) c",
    "INSERT INTO guide_questions (id, guide_id, sequence, statement_latex)"
    " SELECT 'guide-' || c || '-q' || q, 'guide-' || c, q, '12 - 5'"
    " FROM generate_series(0, :courses - 1) c CROSS JOIN generate_series(0, 4) q",
    "INSERT INTO error_tags (id, code, description) VALUES ('tag-borrow', 'BORROW_OMITTED', 'x'),"
    " ('tag-carry', 'CARRY_OMITTED', 'x'), ('tag-correct', 'CORRECT', 'x')",
    "INSERT INTO guide_submissions (guide_id, guide_question_id, student_id, status, override_error_tag_id)"
    " SELECT 'guide-' || (s % :courses), 'guide-' || (s % :courses) || '-q' || q, 'student-' || s,"
    "        (CASE WHEN random() < 0.93 THEN 'GRADED' ELSE 'GRADING' END)::\"SubmissionStatus\","
    "        (ARRAY['tag-borrow', 'tag-carry', 'tag-correct', NULL])[1 + floor(random() * 4)::int]"
    " FROM generate_series(0, :students - 1) s CROSS JOIN generate_series(0, 4) q",
]


def build_data(url: str, courses: int, students: int, topics: int) -> float:
    from chalicelib.store.database import Database

    db = Database.from_url(url, statement_timeout_ms=600_000)
    started = time.perf_counter()
    params = {"courses": courses, "students": students, "topics": topics}
    for statement in DATA_STATEMENTS:
        db.execute(statement, {k: v for k, v in params.items() if f":{k}" in statement})
    db.execute_script("ANALYZE")
    db.close()
    return time.perf_counter() - started


def backend_cpu_seconds(pid: int) -> float | None:
    """CPU time used so far by a PostgreSQL backend process (Linux /proc; None elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class RunFigures:
    wall: float
    statements: int
    server_cpu: float | None  # the backend's CPU time: what the run costs on an idle machine
    client_cpu: float
    report: object


def timed_run(url: str) -> RunFigures:
    """Wall time, CPU time and SQL statements of one ``generate_alerts`` run on a fresh connection."""
    from chalicelib.services.alert_generation import generate_alerts
    from chalicelib.store.database import Database

    db = Database.from_url(url)
    pid = db.fetch_value("SELECT pg_backend_pid()")  # connect outside the timing
    before, server_before = db.round_trips, backend_cpu_seconds(pid)
    client_before, started = time.process_time(), time.perf_counter()
    report = generate_alerts(db)
    wall = time.perf_counter() - started
    client = time.process_time() - client_before
    server_after = backend_cpu_seconds(pid)
    server = None if server_before is None or server_after is None else server_after - server_before
    statements = db.round_trips - before
    db.close()
    return RunFigures(wall, statements, server, client, report)


def describe(figures: RunFigures) -> str:
    cpu = (f"server CPU {figures.server_cpu:.3f} s + client CPU {figures.client_cpu:.3f} s"
           if figures.server_cpu is not None else f"client CPU {figures.client_cpu:.3f} s")
    return f"{figures.wall:.3f} s wall ({cpu}), {figures.statements} SQL statement(s)"


def cold_import(no_pyc: bool) -> float:
    """Median wall time of ``import app`` + the alert worker module in a fresh interpreter."""
    code = ("import time; t = time.perf_counter(); import app; from chalicelib.workers import alert_generator;"
            " print(time.perf_counter() - t)")
    times = []
    for _ in range(5):
        with tempfile.TemporaryDirectory() as empty:
            env = {**os.environ, "LOG_LEVEL": "error"}
            args = [sys.executable, "-c", code]
            if no_pyc:
                env["PYTHONPYCACHEPREFIX"] = empty
                args.insert(1, "-B")
            out = subprocess.run(args, cwd=PROJECT, env=env, capture_output=True, text=True, check=True).stdout
        times.append(float(out.strip().splitlines()[-1]))
    return sorted(times)[len(times) // 2]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--courses", type=int, default=300)
    parser.add_argument("--students", type=int, default=10_000)
    parser.add_argument("--topics", type=int, default=20)
    args = parser.parse_args()
    os.environ["LOG_LEVEL"] = "warning"

    servers = []
    for label, size in (("tiny", (3, 60, args.topics)), ("full", (args.courses, args.students, args.topics))):
        url, server = scratch_database(f"innova_bench_alerts_{label}")
        servers.append(server)
        build_seconds = build_data(url, *size)
        first, second = timed_run(url), timed_run(url)
        courses, students, topics = size
        print(f"[{label}] {courses} courses x {students:,} students x {topics} topics"
              f" ({students * topics:,} mastery rows; data built in {build_seconds:.1f} s)")
        print(f"  first run   {describe(first)}: {len(first.report.inserted):,} alerts inserted"
              f" {first.report.by_type}")
        print(f"  second run  {describe(second)}: {len(second.report.inserted):,} inserted,"
              f" {second.report.deduplicated:,} already raised today")
    print("  target: <= 1.5 s per run; 1 statement (+1 when something is new) whatever the size")
    print(f"  machine load average: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
          " (wall times stretch under load; CPU times do not)")
    print(f"cold import of app + alert worker: {cold_import(False) * 1000:.0f} ms with .pyc,"
          f" {cold_import(True) * 1000:.0f} ms without .pyc (as in a Chalice deployment zip)")
    del servers
    return 0


if __name__ == "__main__":
    sys.exit(main())
