"""The hourly alert run (workers.md §5): load candidates, apply the rules, insert what is new.

Two SQL statements per run whatever the size of the school system; the rules of
``chalicelib/domain/alert_rules.py`` decide and shape each alert; the unique index
``teacher_alerts_dedup_key`` keeps one alert per teacher, type, course, subject and UTC day.
"""
from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from chalicelib.domain import alert_rules
from chalicelib.domain.alert_rules import THRESHOLDS, AlertDraft, Thresholds, WeakTopic
from chalicelib.store import alerts_generation
from chalicelib.store.database import Database

log = logging.getLogger(__name__)


@dataclass
class AlertRunReport:
    courses: int = 0  # live courses with a teacher
    candidates: int = 0  # alerts the rules raised that did not exist yet today
    inserted: list[dict[str, Any]] = field(default_factory=list)  # rows this run inserted
    already_raised: int = 0  # alerts that fire again but exist today already (deduplicated)

    @property
    def by_type(self) -> dict[str, int]:
        return dict(sorted(Counter(row["alert_type"] for row in self.inserted).items()))

    @property
    def deduplicated(self) -> int:
        """Alerts not inserted because they exist today (found before the insert, or by a race)."""
        return self.already_raised + self.candidates - len(self.inserted)

    def summary(self) -> dict[str, Any]:
        return {"courses": self.courses, "inserted": len(self.inserted), "deduplicated": self.deduplicated,
                "by_type": self.by_type}


def _parse_time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def draft_alert(candidate: dict[str, Any], now: datetime, thresholds: Thresholds = THRESHOLDS) -> AlertDraft | None:
    """Apply the rule of ``candidate["type"]`` to the facts the database found."""
    kind = candidate["type"]
    common = {"teacher_id": candidate["teacher_id"], "course_id": candidate["course_id"], "thresholds": thresholds}
    if kind == alert_rules.AT_RISK_STUDENT:
        return alert_rules.at_risk_student(
            **common, student_id=candidate["student_id"], display_name=candidate["display_name"],
            weak_topics=[WeakTopic(t["topic_id"], t["code"], t["p_known"]) for t in candidate["weak_topics"]])
    if kind == alert_rules.STUDENT_DROP:
        return alert_rules.student_drop(
            **common, student_id=candidate["student_id"], display_name=candidate["display_name"],
            last_attempt_at=_parse_time(candidate["last_attempt_at"]), now=now)
    if kind == alert_rules.UNIT_OFF_TRACK:
        return alert_rules.unit_off_track(**common, unit_id=candidate["unit_id"], unit_name=candidate["unit_name"],
                                          avg_p_known=candidate["avg_p_known"])
    if kind == alert_rules.COMMON_ERROR_IN_TOPIC:
        return alert_rules.common_error_in_topic(
            **common, topic_id=candidate["topic_id"], topic_code=candidate["topic_code"],
            struggling_students=candidate["struggling_students"], course_size=candidate["course_size"])
    if kind == alert_rules.GUIDE_GRADING_COMPLETE:
        return alert_rules.guide_grading_complete(
            **common, guide_id=candidate["guide_id"], title=candidate["title"],
            graded_students=candidate["graded_students"], course_size=candidate["course_size"])
    if kind == alert_rules.GUIDE_COMMON_ERROR:
        return alert_rules.guide_common_error(
            **common, guide_id=candidate["guide_id"], question_id=candidate["question_id"],
            error_code=candidate["error_code"], n_students=candidate["n_students"],
            course_size=candidate["course_size"])
    raise ValueError(f"unknown alert candidate type {kind!r}")


def generate_alerts(db: Database, *, now: datetime | None = None,
                    thresholds: Thresholds = THRESHOLDS) -> AlertRunReport:
    """One run over every live course; returns what was found and what was inserted."""
    now = now or datetime.now(timezone.utc)
    facts = alerts_generation.load_candidates(db, thresholds, now)
    drafts = [draft for draft in (draft_alert(c, now, thresholds) for c in facts.candidates) if draft is not None]
    report = AlertRunReport(courses=facts.courses, candidates=len(drafts), already_raised=facts.already_raised,
                            inserted=alerts_generation.insert_alerts(db, drafts))
    log.info("alert run finished", extra=report.summary())
    return report
