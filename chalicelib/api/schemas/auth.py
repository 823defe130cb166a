"""Wire models of ``/auth/*``."""
from __future__ import annotations

from chalicelib.api.schemas.base import ResponseModel


class MeOut(ResponseModel):
    id: str
    email: str
    name: str
    role: str
    profile_id: str | None
