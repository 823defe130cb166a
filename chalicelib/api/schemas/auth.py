"""Wire models of ``/auth/*`` (api.md §4.2)."""
from __future__ import annotations

from typing import Literal

from pydantic import Field

from chalicelib.api.schemas.base import RequestModel, ResponseModel

# A pragmatic shape check; Supabase Auth validates the address itself.
EMAIL = Field(min_length=3, max_length=254, pattern=r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
# GoTrue hashes with bcrypt, which reads at most 72 bytes.
PASSWORD = Field(min_length=8, max_length=72)


class MeOut(ResponseModel):
    id: str
    email: str
    name: str
    role: str
    profile_id: str | None


class RegisterIn(RequestModel):
    email: str = EMAIL
    password: str = PASSWORD
    role: Literal["student", "teacher", "parent"] = Field(
        description="admin accounts cannot be registered (DECISIONS.md §2)")


class LoginIn(RequestModel):
    email: str = EMAIL
    password: str = PASSWORD


class RefreshIn(RequestModel):
    refresh_token: str = Field(min_length=1, max_length=4096)


class ForgotPasswordIn(RequestModel):
    email: str = EMAIL


class ConfirmForgotPasswordIn(RequestModel):
    email: str = EMAIL
    code: str = Field(min_length=4, max_length=64, description="the code of the reset e-mail")
    new_password: str = PASSWORD


class SessionUserOut(ResponseModel):
    id: str
    email: str
    role: str
    profile_id: str | None
    supabase_uid: str | None
    token_version: int


class SessionOut(ResponseModel):
    access_token: str
    refresh_token: str
    token_type: str
    expires_in_seconds: int
    user: SessionUserOut


class MessageOut(ResponseModel):
    message: str
