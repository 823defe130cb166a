"""A local Supabase-style JWKS endpoint (``/auth/v1/.well-known/jwks.json``) with real keys."""
from __future__ import annotations

import json
import time
import uuid

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from tests.fakes.scripted_http import IncomingRequest, LocalHttpServer, Reply

JWKS_PATH = "/auth/v1/.well-known/jwks.json"


class JwksServer(LocalHttpServer):
    """Serves an ES256 and an RS256 public key; signs tokens with the matching private keys."""

    thread_name = "jwks-fake"
    methods = ("GET",)

    def __init__(self):
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec_kid, self.rsa_kid = f"ec-{uuid.uuid4().hex[:8]}", f"rsa-{uuid.uuid4().hex[:8]}"
        self.requests = 0
        super().__init__()
        self.issuer = f"{self.url}/auth/v1"

    def respond(self, request: IncomingRequest) -> Reply:
        if request.path != JWKS_PATH:
            return Reply(404, body={"message": "not found"})
        self.requests += 1
        return Reply(body={"keys": self.public_jwks()})

    def public_jwks(self) -> list[dict]:
        ec_jwk = json.loads(ECAlgorithm.to_jwk(self.ec_key.public_key()))
        rsa_jwk = json.loads(RSAAlgorithm.to_jwk(self.rsa_key.public_key()))
        return [{**ec_jwk, "kid": self.ec_kid, "alg": "ES256", "use": "sig"},
                {**rsa_jwk, "kid": self.rsa_kid, "alg": "RS256", "use": "sig"}]

    def token(self, *, alg: str = "ES256", role: str = "student", sub: str | None = None,
              issuer: str | None = None, kid: str | None = None, expires_in: int = 3600) -> str:
        key = self.ec_key if alg == "ES256" else self.rsa_key
        sub = sub or str(uuid.uuid4())
        claims = {"sub": sub, "email": f"{sub[:12]}@jwks.example.test", "aud": "authenticated",
                  "iss": issuer or self.issuer, "exp": int(time.time()) + expires_in,
                  "app_metadata": {"role": role}}
        headers = {"kid": kid or (self.ec_kid if alg == "ES256" else self.rsa_kid)}
        return jwt.encode(claims, key, algorithm=alg, headers=headers)
