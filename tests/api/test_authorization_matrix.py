"""The authorization matrix of issue #4: every route of the app, as every role (DECISIONS.md §2).

Two schools are built (``build_school(db, "a")`` and ``"b"``); the caller of each role belongs to
school a (student ``a.students[0]``, teacher ``a.teacher``, parent ``a.parent`` linked to
``a.students[0]``) or is an admin. Each route's case says which roles may use it and how to build
a request for an ``OWN`` resource (school a) and a ``FOREIGN`` one (school b). Expected answers:

- no token → 401 (public routes: their own status);
- a role the route does not admit → 403;
- an admitted role, own resource → the route's status (2xx; 503 for the Supabase-backed ``/auth/*``
  routes, which the tests run without ``SUPABASE_URL``);
- an admitted role, foreign resource → 404, exactly like an unknown id (admins have no foreign).

Calls go through API Gateway proxy events (``gateway``), the production path.
``test_every_route_has_a_case`` compares ``app.app.routes`` with :data:`ROUTE_CASES`, so a route
added without a case (or a case left behind by a removed route) fails the suite.
"""
from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from chalicelib.store.database import Database
from tests.api.guide_builders import PDF_BYTES, BuiltGuide, add_graded_submission, approved, build_guide
from tests.factories import Person, School, add_alert, add_error_tag, add_person, build_school, set_mastery

ROLES = ("student", "teacher", "parent", "admin")
ALL_ROLES = ROLES
OWN, FOREIGN = "own", "foreign"
NO_TOKEN = "no token"


@dataclass
class World:
    """The data every case can use: two schools, an admin, and a few extra rows per school."""

    a: School
    b: School
    admin: Person
    alert_ids: dict[str, str] = field(default_factory=dict)  # school key → an open alert of its course
    invite_codes: dict[str, str] = field(default_factory=dict)  # school key → a join code of its course
    # school key → guides of its course: "review" (REVIEW, one approved question with a solution),
    # "uploaded" (UPLOADED, its PDF in the bucket when the case has AWS), "published" (PUBLISHED,
    # one approved question with a graded submission of students[0], see ``submission_ids``).
    guides: dict[str, dict[str, BuiltGuide]] = field(default_factory=dict)
    submission_ids: dict[str, str] = field(default_factory=dict)
    scan_keys: dict[str, str] = field(default_factory=dict)  # school key → students[0]'s scan of "published"

    def school(self, scope: str) -> School:
        return self.a if scope == OWN else self.b

    def caller(self, role: str) -> Person:
        return {"student": self.a.students[0], "teacher": self.a.teacher, "parent": self.a.parent,
                "admin": self.admin}[role]

    def guide(self, scope: str, kind: str) -> BuiltGuide:
        return self.guides[self.school(scope).key][kind]

    def submission(self, scope: str) -> str:
        return self.submission_ids[self.school(scope).key]

    def pupil(self, scope: str) -> str:
        """The student a caller of school a reaches: the student himself, his teacher's pupil,
        the parent's linked child (scope OWN), or their counterpart in school b (FOREIGN)."""
        return self.school(scope).students[0].profile_id


@dataclass(frozen=True)
class Call:
    path: str
    query: dict[str, str] | None = None
    body: Any = None


Builder = Callable[[World, str, str], Call]  # (world, role, scope) → request


@dataclass(frozen=True)
class RouteCase:
    """How to call one route and what each caller must get."""

    build: Builder
    roles: tuple[str, ...] = ALL_ROLES  # roles admitted by the route (the others: 403)
    status: int = 200  # what an admitted caller gets on its own resource (public: every caller)
    foreign: bool = True  # whether the route addresses a resource that can be someone else's
    public: bool = False  # no token needed
    fixtures: tuple[str, ...] = ()  # extra pytest fixtures the route needs ("aws": queues and buckets)


def fixed(path: str, query: dict[str, str] | None = None, body: Any = None) -> Builder:
    return lambda world, role, scope: Call(path, query, body)


OCR_PHOTO = (Path(__file__).resolve().parents[1] / "ai" / "samples" / "python.jpg").read_bytes()
OCR_FORM = (b'--matrix\r\nContent-Disposition: form-data; name="image"; filename="p.jpg"\r\n'
            b"Content-Type: image/jpeg\r\n\r\n" + OCR_PHOTO + b"\r\n--matrix--\r\n")
SPARE_TOPIC = "spare-topic"  # a topic nothing refers to (DELETE /skills/{id})
ACTIVE_TAG, DRAFT_TAG = "MATRIX_ACTIVE_G4", "MATRIX_DRAFT_G4"


def build_world(db: Database, aws: Any = None) -> World:
    world = World(build_school(db, "a"), build_school(db, "b"), add_person(db, "admin", "admin"))
    db.execute("INSERT INTO topics (id, unit_id, code, name) VALUES (:id, :u, 'SPARE', 'Sin uso')",
               {"id": SPARE_TOPIC, "u": world.a.unit_id})
    add_error_tag(db, ACTIVE_TAG)
    add_error_tag(db, DRAFT_TAG, status="DRAFT")
    for school in (world.a, world.b):
        published = build_guide(db, school, status="PUBLISHED", key=f"{school.key}-published", questions=[approved()])
        world.guides[school.key] = {
            "review": build_guide(db, school, status="REVIEW", key=f"{school.key}-review", questions=[approved()]),
            "uploaded": build_guide(db, school, status="UPLOADED", key=f"{school.key}-uploaded"),
            "published": published,
        }
        world.submission_ids[school.key] = add_graded_submission(db, published, 0, school.students[0].profile_id)
        world.scan_keys[school.key] = f"guide-scans/{published.id}/{school.students[0].profile_id}/scan.jpg"
        if aws is not None:
            aws.client("s3").put_object(Bucket=aws.bucket_names["guides"], Key=world.guides[school.key]["uploaded"]
                                        .source_pdf_key, Body=PDF_BYTES, ContentType="application/pdf")
            aws.client("s3").put_object(Bucket=aws.bucket_names["submissions"], Key=world.scan_keys[school.key],
                                        Body=OCR_PHOTO, ContentType="image/jpeg")
        world.alert_ids[school.key] = add_alert(db, school, student=school.students[0])
        # Mastery for the recommenders (POST /assignments/recommend needs at least one record).
        set_mastery(db, school.students[0].profile_id, school.topic_ids[0], 0.5)
        code = f"join-{school.key}"
        db.execute("INSERT INTO classroom_invites (id, code, course_id, created_by) VALUES (:id, :code, :c, :t)",
                   {"id": f"invite-{school.key}", "code": code, "c": school.course_id, "t": school.teacher.profile_id})
        world.invite_codes[school.key] = code
    return world


# -- the table ---------------------------------------------------------------------------------------

STUDENT_TEACHER_ADMIN = ("student", "teacher", "admin")
AWS = ("aws",)
TEACHER_ADMIN = ("teacher", "admin")

ROUTE_CASES: dict[tuple[str, str], RouteCase] = {
    # health, docs (public)
    ("GET", "/"): RouteCase(fixed("/"), public=True, foreign=False),
    ("GET", "/health"): RouteCase(fixed("/health"), public=True, foreign=False),
    ("GET", "/openapi.json"): RouteCase(fixed("/openapi.json"), public=True, foreign=False),
    ("GET", "/docs"): RouteCase(fixed("/docs"), public=True, foreign=False),
    ("GET", "/docs/{asset}"): RouteCase(fixed("/docs/swagger-ui.css"), public=True, foreign=False),

    # auth (§4.2). The tests run without SUPABASE_URL, so the credential routes answer 503
    # (DECISIONS.md §2) to everyone, and logout to every authenticated role; their success paths
    # against a local Supabase Auth server are in test_auth_routes.py.
    ("GET", "/auth/me"): RouteCase(fixed("/auth/me"), foreign=False),
    ("POST", "/auth/logout"): RouteCase(fixed("/auth/logout"), status=503, foreign=False),
    ("POST", "/auth/register"): RouteCase(
        fixed("/auth/register", body={"email": "new@example.test", "password": "secreto-123", "role": "student"}),
        public=True, status=503, foreign=False),
    ("POST", "/auth/login"): RouteCase(
        fixed("/auth/login", body={"email": "a@example.test", "password": "secreto-123"}),
        public=True, status=503, foreign=False),
    ("POST", "/auth/refresh"): RouteCase(fixed("/auth/refresh", body={"refreshToken": "r"}), public=True,
                                         status=503, foreign=False),
    ("POST", "/auth/forgot-password"): RouteCase(fixed("/auth/forgot-password", body={"email": "a@example.test"}),
                                                 public=True, status=503, foreign=False),
    ("POST", "/auth/confirm-forgot-password"): RouteCase(
        fixed("/auth/confirm-forgot-password",
              body={"email": "a@example.test", "code": "123456", "newPassword": "secreto-456"}),
        public=True, status=503, foreign=False),

    # skills and items: one shared catalogue, nothing in it belongs to a school (no foreign);
    # writes need teacher or admin, deleting a skill admin (DECISIONS.md §2)
    ("GET", "/skills"): RouteCase(fixed("/skills"), foreign=False),
    ("GET", "/skills/taxonomy"): RouteCase(fixed("/skills/taxonomy"), foreign=False),
    ("GET", "/skills/error-tags"): RouteCase(fixed("/skills/error-tags"), foreign=False),
    ("GET", "/skills/{id}"): RouteCase(lambda w, role, scope: Call(f"/skills/{w.a.topic_ids[0]}"), foreign=False),
    ("GET", "/skills/{id}/prerequisites"): RouteCase(
        lambda w, role, scope: Call(f"/skills/{w.a.topic_ids[1]}/prerequisites"), foreign=False),
    ("POST", "/skills"): RouteCase(
        lambda w, role, scope: Call("/skills", body={"key": f"MX-{role.upper()}", "name": "Matriz",
                                                     "unitId": w.a.unit_id}),
        roles=TEACHER_ADMIN, status=201, foreign=False),
    ("PATCH", "/skills/{id}"): RouteCase(
        lambda w, role, scope: Call(f"/skills/{w.a.topic_ids[0]}", body={"name": "Renombrado"}),
        roles=TEACHER_ADMIN, foreign=False),
    ("DELETE", "/skills/{id}"): RouteCase(lambda w, role, scope: Call(f"/skills/{SPARE_TOPIC}"), roles=("admin",),
                                          status=204, foreign=False),
    ("GET", "/items"): RouteCase(fixed("/items"), foreign=False),
    ("GET", "/items/{id}"): RouteCase(lambda w, role, scope: Call(f"/items/{w.a.exercise_ids[0]}"), foreign=False),
    ("GET", "/items/{id}/irt"): RouteCase(lambda w, role, scope: Call(f"/items/{w.a.exercise_ids[0]}/irt"),
                                          foreign=False),
    ("POST", "/items"): RouteCase(
        lambda w, role, scope: Call("/items", body={"skillId": w.a.topic_ids[0], "content": {"prompt": "2 + 2"},
                                                    "irtA": 1.0, "irtB": 0.0}),
        roles=TEACHER_ADMIN, status=201, foreign=False),
    ("POST", "/items/generate"): RouteCase(
        fixed("/items/generate", body={"subdomainCode": "ARITH_SUB", "gradeLevel": 4,
                                       "targetErrorCodes": [ACTIVE_TAG], "count": 1}),
        roles=TEACHER_ADMIN, status=202, foreign=False, fixtures=AWS),

    # admin (§4.14)
    ("GET", "/admin/error-tags"): RouteCase(fixed("/admin/error-tags"), roles=("admin",), foreign=False),
    ("PATCH", "/admin/error-tags/{code}/status"): RouteCase(
        fixed(f"/admin/error-tags/{DRAFT_TAG}/status", body={"status": "ACTIVE"}), roles=("admin",), foreign=False),
    ("GET", "/admin/status"): RouteCase(fixed("/admin/status"), roles=("admin",), foreign=False,
                                        fixtures=("aws", "ssm_switches")),
    ("PATCH", "/admin/status/killswitches/{key}"): RouteCase(
        fixed("/admin/status/killswitches/ocrEnabled", body={"enabled": True}), roles=("admin",), foreign=False,
        fixtures=("aws", "ssm_switches")),

    # classrooms (api.md §4.7)
    ("POST", "/classrooms"): RouteCase(fixed("/classrooms", body={"gradeLevel": 5}), roles=("teacher",),
                                       status=201, foreign=False),
    ("GET", "/classrooms/mine"): RouteCase(fixed("/classrooms/mine"), foreign=False),
    ("GET", "/classrooms/student/mine"): RouteCase(fixed("/classrooms/student/mine"), foreign=False),
    ("GET", "/classrooms/{course_id}"): RouteCase(
        lambda w, role, scope: Call(f"/classrooms/{w.school(scope).course_id}"), roles=STUDENT_TEACHER_ADMIN),
    ("POST", "/classrooms/{course_id}/invite"): RouteCase(
        lambda w, role, scope: Call(f"/classrooms/{w.school(scope).course_id}/invite", body={"maxUses": 3}),
        roles=("teacher",), status=201),
    # A join code is a capability, not an owned resource: the student joins school b's course.
    ("POST", "/classrooms/join"): RouteCase(
        lambda w, role, scope: Call("/classrooms/join", body={"code": w.invite_codes["b"]}),
        roles=("student",), status=201, foreign=False),
    ("DELETE", "/classrooms/{course_id}"): RouteCase(
        lambda w, role, scope: Call(f"/classrooms/{w.school(scope).course_id}"), roles=TEACHER_ADMIN),

    # guides, teacher side (§4.8)
    ("POST", "/guides"): RouteCase(
        lambda w, role, scope: Call("/guides", body={"courseId": w.school(scope).course_id, "title": "Guía"}),
        roles=("teacher",), status=201, fixtures=AWS),
    ("GET", "/guides"): RouteCase(
        lambda w, role, scope: Call("/guides", query={"courseId": w.school(scope).course_id}), roles=("teacher",)),
    ("GET", "/guides/{guide_id}"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'review').id}"), roles=("teacher",)),
    ("PATCH", "/guides/{guide_id}"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'review').id}", body={"title": "Otra"}),
        roles=("teacher",)),
    ("DELETE", "/guides/{guide_id}"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'review').id}"), roles=("teacher",)),
    ("POST", "/guides/{guide_id}/ingest"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'uploaded').id}/ingest"), roles=("teacher",),
        status=202, fixtures=AWS),
    ("GET", "/guides/{guide_id}/source-url"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'uploaded').id}/source-url"), roles=("teacher",),
        fixtures=AWS),
    ("PATCH", "/guides/{guide_id}/questions/{question_id}"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'review').id}/questions/"
                                    f"{w.guide(scope, 'review').question_ids[0]}", body={"label": "1.b"}),
        roles=("teacher",)),
    ("PATCH", "/guides/{guide_id}/questions/{question_id}/solution"): RouteCase(
        lambda w, role, scope: Call(
            f"/guides/{w.guide(scope, 'review').id}/questions/{w.guide(scope, 'review').question_ids[0]}/solution",
            body={"finalAnswer": "42", "stepsJson": {"final_answer": "42", "points": 1, "steps": [
                {"idx": 0, "latex": "40 + 2 = 42", "checkpoint": True}]}}),
        roles=("teacher",)),
    ("POST", "/guides/{guide_id}/questions/{question_id}/regenerate-solution"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'review').id}/questions/"
                                    f"{w.guide(scope, 'review').question_ids[0]}/regenerate-solution"),
        roles=("teacher",), status=202, fixtures=AWS),
    ("POST", "/guides/{guide_id}/publish"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'review').id}/publish"), roles=("teacher",),
        status=201),
    ("GET", "/guides/{guide_id}/results"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'published').id}/results"), roles=("teacher",)),
    ("GET", "/guides/{guide_id}/submissions/{submission_id}"): RouteCase(
        lambda w, role, scope: Call(f"/guides/{w.guide(scope, 'published').id}/submissions/{w.submission(scope)}"),
        roles=("teacher",), fixtures=AWS),
    ("PATCH", "/guides/{guide_id}/submissions/{submission_id}/error-tag"): RouteCase(
        lambda w, role, scope: Call(
            f"/guides/{w.guide(scope, 'published').id}/submissions/{w.submission(scope)}/error-tag",
            body={"errorTagCode": None}),
        roles=("teacher",)),

    # guides, student side (§4.9)
    ("GET", "/student/guides"): RouteCase(fixed("/student/guides"), roles=("student",), foreign=False),
    ("GET", "/student/guides/{guide_id}"): RouteCase(
        lambda w, role, scope: Call(f"/student/guides/{w.guide(scope, 'published').id}"), roles=("student",)),
    ("POST", "/student/guides/{guide_id}/questions/{question_id}/submissions"): RouteCase(
        lambda w, role, scope: Call(f"/student/guides/{w.guide(scope, 'published').id}/questions/"
                                    f"{w.guide(scope, 'published').question_ids[0]}/submissions",
                                    body={"photoCount": 1}),
        roles=("student",), status=201, fixtures=AWS),
    ("GET", "/student/guides/{guide_id}/results"): RouteCase(
        lambda w, role, scope: Call(f"/student/guides/{w.guide(scope, 'published').id}/results"),
        roles=("student",)),
    ("GET", "/student/guides/{guide_id}/scan-page-url"): RouteCase(
        lambda w, role, scope: Call(f"/student/guides/{w.guide(scope, 'published').id}/scan-page-url"),
        roles=("student",), fixtures=AWS),
    # the submission is already graded: completing it again is the idempotent 202
    ("POST", "/student/submissions/{submission_id}/complete"): RouteCase(
        lambda w, role, scope: Call(f"/student/submissions/{w.submission(scope)}/complete"), roles=("student",),
        status=202, fixtures=AWS),
    ("GET", "/student/submissions/{submission_id}/status"): RouteCase(
        lambda w, role, scope: Call(f"/student/submissions/{w.submission(scope)}/status"), roles=("student",)),

    # assignments (§4.10)
    ("POST", "/assignments"): RouteCase(
        lambda w, role, scope: Call("/assignments", body={
            "courseId": w.school(scope).course_id, "exerciseIds": [w.school(scope).exercise_ids[0]],
            "title": "Matriz", "reason": "TEACHER_MANUAL"}),
        roles=("teacher",), status=201),
    ("POST", "/assignments/recommend"): RouteCase(
        lambda w, role, scope: Call("/assignments/recommend", query={"studentId": w.pupil(scope)}),
        roles=("teacher",), status=201),
    ("GET", "/assignments/student/{student_id}"): RouteCase(
        lambda w, role, scope: Call(f"/assignments/student/{w.pupil(scope)}")),

    # practice (§4.11)
    ("POST", "/practice/assign"): RouteCase(
        lambda w, role, scope: Call("/practice/assign", body={
            "studentId": w.pupil(scope), "itemIds": [w.school(scope).exercise_ids[0]]}),
        roles=("teacher",), status=201),
    ("GET", "/practice/recommend-next"): RouteCase(
        lambda w, role, scope: Call("/practice/recommend-next", query={"studentId": w.pupil(scope)}),
        roles=STUDENT_TEACHER_ADMIN),

    # alerts (§4.12)
    ("GET", "/alerts"): RouteCase(
        lambda w, role, scope: Call("/alerts", query={"courseId": w.school(scope).course_id}), roles=TEACHER_ADMIN),
    ("POST", "/alerts"): RouteCase(
        lambda w, role, scope: Call("/alerts", body={
            "courseId": w.school(scope).course_id, "teacherId": w.school(scope).teacher.profile_id,
            "alertType": "STUDENT_DROP"}),
        roles=TEACHER_ADMIN, status=201),
    ("PATCH", "/alerts/{alert_id}/resolve"): RouteCase(
        lambda w, role, scope: Call(f"/alerts/{w.alert_ids[w.school(scope).key]}/resolve"), roles=TEACHER_ADMIN),

    # OCR (§4.3, §4.9; no AI key in the tests: the page reads as no exercise)
    ("POST", "/attempts/photo-upload-url"): RouteCase(
        lambda w, role, scope: Call("/attempts/photo-upload-url", body={"attemptId": f"att-{w.submission(scope)}"}),
        roles=("student",), status=201, fixtures=AWS),
    ("POST", "/attempts/ocr-extract"): RouteCase(
        fixed("/attempts/ocr-extract", body=OCR_FORM), status=201, foreign=False, fixtures=("aws", "ssm_switches")),
    ("POST", "/student/guides/{guide_id}/scan-page"): RouteCase(
        lambda w, role, scope: Call(f"/student/guides/{w.guide(scope, 'published').id}/scan-page",
                                    body={"photoKey": w.scan_keys[w.school(scope).key]}),
        roles=("student",), fixtures=("aws", "ssm_switches")),

    # parent (§4.13)
    ("GET", "/parent/children"): RouteCase(fixed("/parent/children"), roles=("parent",), foreign=False),
    ("GET", "/parent/children/{student_id}"): RouteCase(
        lambda w, role, scope: Call(f"/parent/children/{w.pupil(scope)}"), roles=("parent",)),

    # attempts (§4.3): parents never see attempts; the graded submission's attempt is "att-<submission>"
    ("POST", "/attempts"): RouteCase(
        lambda w, role, scope: Call("/attempts", body={
            "studentId": w.pupil(scope), "topicCode": w.school(scope).topic_ids[0], "expectedAnswer": 4,
            "studentAnswer": 4, "rawSteps": [{"expression": "2 + 2 = 4", "isFinal": True}]}),
        roles=STUDENT_TEACHER_ADMIN, status=201),
    ("POST", "/attempts/solve-adhoc"): RouteCase(
        lambda w, role, scope: Call("/attempts/solve-adhoc", body={
            "studentId": w.pupil(scope), "problemLatex": "x + 1 = 3", "studentFinalAnswer": "2"}),
        roles=STUDENT_TEACHER_ADMIN, status=201),
    ("GET", "/attempts/{id}/status"): RouteCase(
        lambda w, role, scope: Call(f"/attempts/att-{w.submission(scope)}/status"), roles=STUDENT_TEACHER_ADMIN),
    ("GET", "/attempts/{id}/detail"): RouteCase(
        lambda w, role, scope: Call(f"/attempts/att-{w.submission(scope)}/detail"), roles=STUDENT_TEACHER_ADMIN,
        fixtures=AWS),
    ("POST", "/attempts/{id}/report"): RouteCase(
        lambda w, role, scope: Call(f"/attempts/att-{w.submission(scope)}/report", body={"errorTagCode": ACTIVE_TAG}),
        roles=STUDENT_TEACHER_ADMIN, status=201),

    # mastery (§4.4): course views for the course's teachers; parents never see raw numbers
    ("GET", "/mastery/{studentId}"): RouteCase(
        lambda w, role, scope: Call(f"/mastery/{w.pupil(scope)}"), roles=STUDENT_TEACHER_ADMIN),
    ("GET", "/mastery/course/{courseId}"): RouteCase(
        lambda w, role, scope: Call(f"/mastery/course/{w.school(scope).course_id}"), roles=TEACHER_ADMIN),
    ("GET", "/mastery/course/{courseId}/heatmap"): RouteCase(
        lambda w, role, scope: Call(f"/mastery/course/{w.school(scope).course_id}/heatmap"), roles=TEACHER_ADMIN),
    ("GET", "/mastery/classroom/{classroomId}"): RouteCase(
        lambda w, role, scope: Call(f"/mastery/classroom/{w.school(scope).course_id}"), roles=TEACHER_ADMIN),
    ("GET", "/mastery/recommend/{courseId}/{studentId}"): RouteCase(
        lambda w, role, scope: Call(f"/mastery/recommend/{w.school(scope).course_id}/{w.pupil(scope)}"),
        roles=STUDENT_TEACHER_ADMIN),
}


# -- the tests ---------------------------------------------------------------------------------------

def registered_routes(app) -> set[tuple[str, str]]:
    return {(method, path) for path, methods in app.routes.items() for method in methods}


def test_every_route_has_a_case(app_module):
    registered = registered_routes(app_module.app)
    assert sorted(registered - ROUTE_CASES.keys()) == [], "routes without a case in ROUTE_CASES"
    assert sorted(ROUTE_CASES.keys() - registered) == [], "cases of routes that no longer exist"


def expected_statuses(case: RouteCase) -> dict[tuple[str, str], int]:
    """``(caller, scope) → status`` for every call the matrix makes on one route."""
    if case.public:
        return {(who, OWN): case.status for who in (NO_TOKEN, *ROLES)}
    expected = {(NO_TOKEN, OWN): 401}
    for role in ROLES:
        if role not in case.roles:
            expected[(role, OWN)] = 403
            continue
        if case.foreign and role != "admin":
            expected[(role, FOREIGN)] = 404
        expected[(role, OWN)] = case.status
    return expected


def _order(call: tuple[str, str]) -> int:
    """Calls that must change nothing first (401, 403, 404), then the successful ones."""
    who, scope = call
    return 0 if who == NO_TOKEN else 1 if scope == FOREIGN else 2


@pytest.mark.parametrize("route", sorted(ROUTE_CASES), ids=lambda route: f"{route[0]} {route[1]}")
def test_route_authorization(route, request, db, gateway, tokens):
    case = ROUTE_CASES[route]
    extras = {name: request.getfixturevalue(name) for name in case.fixtures}
    world = build_world(db, extras.get("aws"))
    method = route[0]
    expected = expected_statuses(case)
    actual: dict[tuple[str, str], int] = {}
    bodies: dict[tuple[str, str], str] = {}
    for who, scope in sorted(expected, key=_order):
        role = case.roles[0] if who == NO_TOKEN else who
        call = case.build(world, role, scope)
        if who == NO_TOKEN:
            headers = {"Content-Type": "application/json"}
        else:
            headers = tokens.headers(**world.caller(who).claims)
        if isinstance(call.body, bytes):  # a multipart upload
            headers, body = {**headers, "Content-Type": "multipart/form-data; boundary=matrix"}, call.body
        else:
            body = json.dumps(call.body) if call.body is not None else None
        response = gateway.request(method, call.path, headers=headers, query=call.query, body=body)
        actual[(who, scope)] = response.status
        bodies[(who, scope)] = response.body[:300]
    mismatches = {call: f"expected {status}, got {actual[call]}: {bodies[call]}"
                  for call, status in expected.items() if actual[call] != status}
    assert mismatches == {}
