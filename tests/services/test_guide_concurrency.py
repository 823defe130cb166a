"""Concurrent calls of the guide services, each on its own database connection (as two Lambda
containers would be): ``complete`` enqueues grading once, a guide is published once."""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from chalicelib import errors
from chalicelib.domain.identity import Principal, Role
from chalicelib.messaging.s3_storage import S3Storage
from chalicelib.messaging.sqs_publisher import SqsPublisher
from chalicelib.services import guide_service, guide_submission_service
from chalicelib.services.guide_files import GuideFiles
from chalicelib.settings import get_settings
from chalicelib.store.database import Database
from tests.api.guide_builders import JPEG_BYTES, approved, build_guide, snapshot
from tests.factories import Person, build_school


def _principal(person: Person, role: Role) -> Principal:
    return Principal(subject=person.subject, email=person.email, role=role, user_id=person.user_id,
                     profile_id=person.profile_id, display_name="x")


class _FilesThatWaitForEachOther(GuideFiles):
    """Both callers finish their photo checks (and so have both seen UPLOADED) before either
    writes: the conditional update alone must then decide."""

    barrier = threading.Barrier(2, timeout=10)

    def uploaded_photo(self, key):
        found = super().uploaded_photo(key)
        self.barrier.wait()
        return found


def _run_twice(database_url, call):
    def one(_):
        own = Database.from_url(database_url)
        try:
            return call(own)
        except errors.InnovaError as exc:
            return exc
        finally:
            own.close()

    with ThreadPoolExecutor(2) as pool:
        return list(pool.map(one, range(2)))


def test_concurrent_completes_enqueue_grading_exactly_once(database_url, aws, db):
    school = build_school(db, "a")
    student = school.students[0]
    guide = build_guide(db, school, status="PUBLISHED", questions=[approved()])
    key = "submissions/sub-1/photo.jpg"
    db.execute("INSERT INTO guide_submissions (id, guide_id, guide_question_id, student_id, photo_keys, trace_id,"
               " updated_at) VALUES ('sub-1', :g, :q, :s, ARRAY[:k], 'trace-sub', now())",
               {"g": guide.id, "q": guide.question_ids[0], "s": student.profile_id, "k": key})
    aws.client("s3").put_object(Bucket=aws.bucket_names["submissions"], Key=key, Body=JPEG_BYTES,
                                ContentType="image/jpeg")
    settings = get_settings()
    principal = _principal(student, Role.STUDENT)

    results = _run_twice(database_url, lambda own: guide_submission_service.complete(
        own, _FilesThatWaitForEachOther(S3Storage(), settings), SqsPublisher(settings), principal, "sub-1", "t"))

    assert sorted(r["status"] for r in results) == ["TRANSCRIBING", "UPLOADED"]
    assert snapshot(db, "guide_submissions", "sub-1")["status"] == "TRANSCRIBING"
    assert len(aws.receive_all("submission_grade")) == 1


def test_concurrent_publishes_publish_once(database_url, db):
    school = build_school(db, "a")
    guide = build_guide(db, school, questions=[approved(), approved()])
    principal = _principal(school.teacher, Role.TEACHER)

    results = _run_twice(database_url, lambda own: guide_service.publish(own, principal, guide.id))

    published = [r for r in results if isinstance(r, dict)]
    refused = [r for r in results if isinstance(r, errors.Conflict)]
    assert len(published) == 1 and len(refused) == 1
    assert db.fetch_value("SELECT count(*) FROM assignments") == 1
    assert db.fetch_value("SELECT count(*) FROM exercises WHERE source = 'GUIDE_EXTRACTED'") == 2
