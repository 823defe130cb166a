"""A datetime field serialised like every timestamp of the API: ISO-8601 UTC with milliseconds and ``Z``."""
from __future__ import annotations

import datetime as dt
from typing import Annotated

from pydantic import PlainSerializer

from chalicelib.api.envelope import iso_timestamp

IsoTimestamp = Annotated[dt.datetime, PlainSerializer(iso_timestamp, return_type=str, when_used="json")]
"""``2026-06-01T12:00:00.000Z`` in responses (pydantic's default would print microseconds)."""
