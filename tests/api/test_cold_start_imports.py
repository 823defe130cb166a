"""What a cold start of the API function loads: heavy libraries wait for the request that needs them.

In a fresh interpreter (this test process has imported everything long ago): loading ``app.py`` and
serving the public ``GET /health`` leave PyJWT/cryptography (~35 ms), boto3/botocore (~130 ms) and
pymongo out of ``sys.modules``; the first protected request is what loads PyJWT (the control that
shows the probe can fail). The AI SDKs are covered by ``tests/ai/test_lazy_imports.py``.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]

PROBE = r"""
import json, sys
LAZY = ("jwt", "cryptography", "boto3", "botocore", "pymongo")
loaded = lambda: sorted(name for name in LAZY if name in sys.modules)

def get(path, headers):
    event = {"resource": "/{proxy+}", "path": path, "httpMethod": "GET", "headers": headers, "multiValueHeaders": {},
             "queryStringParameters": None, "multiValueQueryStringParameters": None,
             "pathParameters": {"proxy": path.lstrip("/")}, "stageVariables": None,
             "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "GET", "path": path},
             "body": None, "isBase64Encoded": False}
    return app.app(event, None)["statusCode"]

steps = {}
import app
steps["import"] = loaded()
steps["health"] = [get("/health", {}), loaded()]
steps["protected"] = [get("/auth/me", {"Authorization": "Bearer " + sys.argv[1]}), loaded()]
print(json.dumps(steps))
"""


def test_the_api_loads_jwt_only_for_protected_routes_and_never_boto3_for_health(database_url, tokens):
    token = tokens.headers(role="teacher")["Authorization"].removeprefix("Bearer ")
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    result = subprocess.run([sys.executable, "-c", PROBE, token], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    steps = json.loads(result.stdout.strip().splitlines()[-1])
    assert steps["import"] == []
    assert steps["health"] == [200, []]
    assert steps["protected"][0] == 200
    assert "jwt" in steps["protected"][1]
