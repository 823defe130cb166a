"""Typed settings from the environment (infra.md §7)."""
from __future__ import annotations

import pytest
from pydantic import ValidationError

from chalicelib import settings as settings_module
from chalicelib.settings import MissingSettingError, Settings


def test_defaults_and_empty_strings_count_as_unset():
    s = Settings.from_environment({"LLM_MAX_TOKENS": "", "CORS_ORIGINS": " https://a.cl , ,https://b.cl"})
    assert s.stage == "dev" and s.llm_max_tokens == 4096 and s.gemini_model == "gemini-2.5-flash"
    assert s.cors_origin_list == ("https://a.cl", "https://b.cl")
    assert s.guides_presigned_put_ttl == 600


def test_invalid_values_fail_naming_the_variable():
    with pytest.raises(ValidationError, match="guides_presigned_put_ttl"):
        Settings.from_environment({"GUIDES_PRESIGNED_PUT_TTL": "-1"})


def test_missing_required_setting_names_the_variable(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings_module.get_settings.cache_clear()
    with pytest.raises(MissingSettingError, match="DATABASE_URL.*api"):
        settings_module.require_settings("api")
    settings_module.get_settings.cache_clear()


def test_production_requires_its_secrets(monkeypatch):
    monkeypatch.setenv("STAGE", "prod")
    monkeypatch.setenv("DATABASE_URL", "postgresql://u@h/x")
    monkeypatch.delenv("SUPABASE_URL", raising=False)
    settings_module.get_settings.cache_clear()
    with pytest.raises(MissingSettingError, match="SUPABASE_URL"):
        settings_module.require_settings("api")
    settings_module.get_settings.cache_clear()


def test_settings_are_read_once_per_process(monkeypatch):
    settings_module.get_settings.cache_clear()
    first = settings_module.get_settings()
    monkeypatch.setenv("STAGE", "changed")
    assert settings_module.get_settings() is first
    settings_module.get_settings.cache_clear()


def test_lambda_cold_start_fails_naming_the_missing_variable():
    import subprocess
    import sys

    env = {"PATH": "/usr/bin:/bin", "STAGE": "dev", "AWS_LAMBDA_FUNCTION_NAME": "innova-backend-serverless-dev"}
    result = subprocess.run([sys.executable, "-c", "import app"], env=env, capture_output=True, text=True,
                            cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert result.returncode != 0
    assert "Missing required setting DATABASE_URL (needed by the api function)" in result.stderr
    ok = subprocess.run([sys.executable, "-c", "import app"], env={**env, "DATABASE_URL": "postgresql://u@h/x"},
                        capture_output=True, text=True,
                        cwd=str(__import__("pathlib").Path(__file__).resolve().parents[1]))
    assert ok.returncode == 0, ok.stderr
