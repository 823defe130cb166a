"""Wire models of ``/mastery`` (api.md §4.4). "Units" are taxonomy domains, "topics" subdomains
in the course views; ``GET /mastery/:studentId`` lists curriculum topics."""
from __future__ import annotations

from chalicelib.api.schemas.base import ResponseModel, omit_if_none
from chalicelib.api.schemas.practice import RecommendNextOut
from chalicelib.api.schemas.fields import Timestamp


class TopicMasteryOut(ResponseModel):
    """api.md's ``{studentId, topicCode, topicName, pKnown}`` plus the record's other figures."""

    student_id: str
    topic_id: str
    topic_code: str
    topic_name: str
    p_known: float
    mastery_level: str
    attempts_count: int
    trend_7d: float | None = omit_if_none()
    last_attempt_at: Timestamp | None = omit_if_none()


class CourseTopicOut(ResponseModel):
    topic_code: str
    topic_name: str
    p_known: float
    attempts_count: int


class CourseAttemptOut(ResponseModel):
    id: str
    exercise_prompt: str
    is_correct: bool
    error_tag_code: str | None
    error_tag_name: str | None
    classifier_source: str
    confidence: float | None
    created_at: Timestamp


class ErrorFrequencyOut(ResponseModel):
    error_tag_code: str
    error_tag_name: str | None
    count: int
    percentage: float


class StudentCourseMasteryOut(ResponseModel):
    student_id: str
    display_name: str
    topics: list[CourseTopicOut]
    attempts: list[CourseAttemptOut]
    error_frequency: list[ErrorFrequencyOut]


class HeatmapUnitOut(ResponseModel):
    id: str
    code: str
    name: str
    sequence: int


class HeatmapTopicCellOut(ResponseModel):
    topic_id: str
    unit_id: str
    topic_code: str
    topic_name: str
    p_known: float


class HeatmapUnitCellOut(ResponseModel):
    unit_id: str
    p_known: float
    topic_count: int


class HeatmapStudentOut(ResponseModel):
    student_id: str
    display_name: str
    units: list[HeatmapUnitCellOut]
    topics: list[HeatmapTopicCellOut]


class HeatmapOut(ResponseModel):
    course_id: str
    units: list[HeatmapUnitOut]
    students: list[HeatmapStudentOut]


# GET /mastery/recommend answers with the shape of GET /practice/recommend-next (domain.md §3.3–3.4).
RecommendationOut = RecommendNextOut
