"""Reading and curating the error catalogue (api.md §4.5 ``/skills/error-tags``, §4.14 ``/admin/error-tags``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from chalicelib import errors
from chalicelib.domain.error_taxonomy import IllegalTransition, TagStatus, plan_status_change
from chalicelib.store import error_tags
from chalicelib.store.database import Database


@dataclass(frozen=True)
class CatalogFilters:
    status: str | None = None
    source: str | None = None
    domain_code: str | None = None
    q: str | None = None


def _blank_to_none(value: str | None) -> str | None:
    value = value.strip() if value is not None else None
    return value or None


def search_active_tags(db: Database, *, q: str | None, domain_code: str | None, limit: int) -> list[dict[str, Any]]:
    """ACTIVE tags for the manual-override typeahead, by code (``name`` may be ``""``)."""
    return error_tags.search_active(db, q=_blank_to_none(q), domain_code=_blank_to_none(domain_code), limit=limit)


def list_tags(db: Database, filters: CatalogFilters, *, cursor: str | None, limit: int) -> dict[str, Any]:
    """A keyset page (code ascending) with ``next_cursor``, ``total``, ``status_counts`` and ``domains``.

    ``cursor`` is the last code of the previous page; rows with ``code > cursor`` follow it, so a
    cursor that is not (or no longer) a code still continues at the right place.
    """
    page = error_tags.admin_page(db, status=filters.status, source=filters.source,
                                 domain_code=_blank_to_none(filters.domain_code), q=_blank_to_none(filters.q),
                                 cursor=_blank_to_none(cursor), limit=limit)
    items = page["items"]
    has_more = len(items) > limit
    items = items[:limit]
    return {
        "items": items,
        "next_cursor": items[-1]["code"] if has_more else None,
        "total": int(page["total"]),
        "status_counts": page["status_counts"],
        "domains": page["domains"],
    }


def change_status(db: Database, code: str, status: TagStatus, *, deprecated_by: str | None = None) -> dict[str, Any]:
    """Move tag ``code`` along its lifecycle (domain/error_taxonomy.py); returns its item view.

    404 for an unknown tag or replacement, 409 for a move the lifecycle forbids.
    """
    with db.transaction():
        locked = error_tags.lock_tags(db, [code] + ([deprecated_by] if deprecated_by else []))
        tag = locked.get(code)
        if tag is None:
            raise errors.NotFound(f"Error tag {code} not found")
        successor = locked.get(deprecated_by) if deprecated_by else None
        if deprecated_by and successor is None:
            raise errors.NotFound(f"Error tag {deprecated_by} not found")
        try:
            change = plan_status_change(
                code, TagStatus(tag["status"]), status, successor_code=deprecated_by,
                successor_status=TagStatus(successor["status"]) if successor else None)
        except IllegalTransition as exc:
            raise errors.Conflict(str(exc)) from None
        if change.keep_successor:
            successor_id = tag["deprecated_by_id"]
        else:
            successor_id = successor["id"] if successor and change.successor_code else None
        if (change.status.value, successor_id) != (tag["status"], tag["deprecated_by_id"]):
            error_tags.set_status(db, tag["id"], status=change.status.value, deprecated_by_id=successor_id)
        item = error_tags.item_by_code(db, code)
    assert item is not None
    return item
