"""The AI SDKs (~0.8 s for anthropic, ~0.3 s for google.genai) load only on the AI code paths.

Run in a fresh interpreter, since this test process has long imported them: loading ``app.py`` and
serving ``GET /health`` must leave both out of ``sys.modules``, and so must importing every module of
the AI workers and OCR routes; creating a client is what loads them (the control that shows the
probe can fail).
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
SDKS = ("anthropic", "google.genai")

PROBE = r"""
import json, sys
SDKS = ("anthropic", "google.genai")
loaded = lambda: sorted(name for name in SDKS if name in sys.modules)
steps = {}
import app
event = {"resource": "/{proxy+}", "path": "/health", "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
         "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": {"proxy": "health"},
         "stageVariables": None, "requestContext": {"resourcePath": "/{proxy+}", "httpMethod": "GET", "path": "/health"},
         "body": None, "isBase64Encoded": False}
response = app.app(event, None)
steps["health"] = [response["statusCode"], loaded()]
import chalicelib.workers.llm_classifier, chalicelib.workers.ocr_transcriber
import chalicelib.services.llm_classification, chalicelib.services.ocr_transcription, chalicelib.services.ocr_requests
import chalicelib.ai.claude_classifier, chalicelib.ai.gemini_vision, chalicelib.ai.claude_vision
from chalicelib import dependencies
dependencies.llm_classifier(); dependencies.ocr_orchestrator()
steps["ai_modules"] = loaded()
from chalicelib.ai import anthropic_calls
anthropic_calls.create_client(api_key="k", base_url="http://127.0.0.1:9", timeout_seconds=1)
steps["anthropic_client"] = loaded()
print(json.dumps(steps))
"""


def test_app_and_health_do_not_import_the_ai_sdks(database_url):
    env = {**os.environ, "DATABASE_URL": database_url, "PYTHONPATH": str(PROJECT_ROOT)}
    env.pop("AWS_LAMBDA_FUNCTION_NAME", None)
    result = subprocess.run([sys.executable, "-c", PROBE], cwd=PROJECT_ROOT, env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    steps = json.loads(result.stdout.strip().splitlines()[-1])
    assert steps["health"] == [200, []]
    assert steps["ai_modules"] == []
    assert steps["anthropic_client"] == ["anthropic"]
