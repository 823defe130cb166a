"""A local Supabase-style JWKS endpoint (``/auth/v1/.well-known/jwks.json``) with real keys."""
from __future__ import annotations

import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm


class JwksServer:
    """Serves an ES256 and an RS256 public key; signs tokens with the matching private keys."""

    def __init__(self):
        self.ec_key = ec.generate_private_key(ec.SECP256R1())
        self.rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.ec_kid, self.rsa_kid = f"ec-{uuid.uuid4().hex[:8]}", f"rsa-{uuid.uuid4().hex[:8]}"
        self.requests = 0
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server naming
                if self.path != "/auth/v1/.well-known/jwks.json":
                    self.send_error(404)
                    return
                server.requests += 1
                body = json.dumps({"keys": server.public_jwks()}).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._httpd.server_port}"
        self.issuer = f"{self.url}/auth/v1"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

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

    def stop(self) -> None:
        self._httpd.shutdown()
