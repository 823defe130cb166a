"""Bearer-token authentication (api.md §1.2, DECISIONS.md §2).

- ES256/RS256 tokens are verified against the Supabase JWKS (``PyJWKClient``, keys cached 10 min
  like Supabase's edge cache) when ``SUPABASE_URL`` is set; HS256 tokens with
  ``SUPABASE_JWT_SECRET`` when that is set. Any other algorithm (``none`` included) is refused.
- ``aud=authenticated`` and ``exp`` are always enforced, ``iss`` whenever ``SUPABASE_URL`` is known.
- The role comes only from ``app_metadata.role``.
Every failure is the same 401 (``HTTP_ERROR``/``Unauthorized``): the reason is logged, not returned.
"""
from __future__ import annotations

import functools
import logging
from typing import Any

import jwt

from chalicelib import dependencies, errors
from chalicelib.domain.identity import Principal, Role, TokenIdentity
from chalicelib.services import identity_service
from chalicelib.settings import get_settings

log = logging.getLogger(__name__)

AUDIENCE = "authenticated"
_ASYMMETRIC = ("ES256", "RS256")


class TokenVerifier:
    """Verifies bearer tokens with the keys the settings make available."""

    def __init__(self, *, supabase_url: str | None, hs256_secret: str | None, leeway_seconds: int = 0):
        self.hs256_secret = hs256_secret
        self.issuer = f"{supabase_url.rstrip('/')}/auth/v1" if supabase_url else None
        self.leeway = leeway_seconds
        self._jwks = (
            jwt.PyJWKClient(f"{self.issuer}/.well-known/jwks.json", cache_keys=True, lifespan=600,
                            timeout=5)
            if self.issuer else None
        )

    def verify(self, token: str) -> dict[str, Any]:
        """The verified claims; raises ``jwt.InvalidTokenError`` for anything unacceptable."""
        header = jwt.get_unverified_header(token)
        algorithm = header.get("alg")
        if algorithm in _ASYMMETRIC and self._jwks is not None:
            key = self._jwks.get_signing_key_from_jwt(token).key
        elif algorithm == "HS256" and self.hs256_secret:
            key = self.hs256_secret
        else:
            raise jwt.InvalidAlgorithmError(f"algorithm {algorithm!r} not accepted")
        options = {"require": ["exp", "sub", "aud"], "verify_iss": self.issuer is not None}
        return jwt.decode(token, key=key, algorithms=[algorithm], audience=AUDIENCE,
                          issuer=self.issuer, options=options, leeway=self.leeway)


@functools.cache
def token_verifier() -> TokenVerifier:
    settings = get_settings()
    return TokenVerifier(supabase_url=settings.supabase_url, hs256_secret=settings.supabase_jwt_secret)


def identity_from_claims(claims: dict[str, Any]) -> TokenIdentity:
    """Role from ``app_metadata.role`` only; display name from ``user_metadata`` or the e-mail."""
    app_metadata = claims.get("app_metadata") if isinstance(claims.get("app_metadata"), dict) else {}
    user_metadata = claims.get("user_metadata") if isinstance(claims.get("user_metadata"), dict) else {}
    email = claims.get("email") if isinstance(claims.get("email"), str) else ""
    display_name = None
    for key in ("full_name", "name", "display_name"):
        value = user_metadata.get(key)
        if isinstance(value, str) and value.strip():
            display_name = value.strip()
            break
    if display_name is None and email:
        display_name = email.split("@", 1)[0] or None
    return TokenIdentity(subject=str(claims["sub"]), email=email,
                         role=Role.from_claim(app_metadata.get("role")), display_name=display_name)


def bearer_token(headers: Any) -> str | None:
    value = headers.get("authorization") or ""
    scheme, _, token = value.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return token.strip()


def authenticate(request: Any) -> Principal:
    """The caller of ``request``, linked to its local user and profile rows (401 otherwise)."""
    token = bearer_token(request.headers)
    if token is None:
        raise errors.Unauthenticated("Unauthorized")
    try:
        claims = token_verifier().verify(token)
    except jwt.PyJWTError as exc:
        log.info("token rejected: %s", exc)
        raise errors.Unauthenticated("Unauthorized") from None
    return identity_service.link_principal(dependencies.database(), identity_from_claims(claims))
