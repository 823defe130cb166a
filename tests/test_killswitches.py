"""SSM killswitches against moto: semantics, the ≤ 60 s cache, fail-open reads, writes."""
from __future__ import annotations

import pytest

from chalicelib import dependencies, killswitches


def test_missing_parameters_are_not_paused(ssm_switches):
    assert killswitches.paused_states(killswitches.SWITCHES) == {switch: False for switch in killswitches.SWITCHES}


@pytest.mark.parametrize("value, paused", [("true", True), (" TRUE\n", True), ("false", False), ("yes", False)])
def test_paused_iff_value_is_true(ssm_switches, aws, value, paused):
    ssm_switches.put_parameter(Name=f"/{aws.stage}/llm/paused", Value=value, Type="String")
    assert killswitches.is_paused(killswitches.LLM_PAUSED) is paused


def test_reads_are_cached_until_the_ttl_passes(ssm_switches, aws, monkeypatch):
    name = f"/{aws.stage}/ocr/paused"
    ssm_switches.put_parameter(Name=name, Value="true", Type="String")
    assert killswitches.is_paused(killswitches.OCR_PAUSED) is True
    ssm_switches.put_parameter(Name=name, Value="false", Type="String", Overwrite=True)
    assert killswitches.is_paused(killswitches.OCR_PAUSED) is True  # cached
    monkeypatch.setattr(killswitches, "CACHE_SECONDS", 0.0)
    assert killswitches.is_paused(killswitches.OCR_PAUSED) is False


def test_set_paused_writes_the_parameter_and_the_cache(ssm_switches):
    killswitches.set_paused(killswitches.GRADING_PAUSED, True)
    value = ssm_switches.get_parameter(Name="/innova/guides/grading_paused")["Parameter"]
    assert (value["Value"], value["Type"]) == ("true", "String")
    assert killswitches.is_paused(killswitches.GRADING_PAUSED) is True
    killswitches.set_paused(killswitches.GRADING_PAUSED, False)
    assert ssm_switches.get_parameter(Name="/innova/guides/grading_paused")["Parameter"]["Value"] == "false"
    assert killswitches.is_paused(killswitches.GRADING_PAUSED) is False


def test_any_ssm_error_fails_open(ssm_switches, monkeypatch):
    monkeypatch.setenv("SSM_LLM_PAUSED_PARAM", "/aws/reserved")  # SSM answers AccessDenied
    dependencies.reset()
    assert killswitches.is_paused(killswitches.LLM_PAUSED) is False
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("SSM_LLM_PAUSED_PARAM", "/unreachable/llm/paused")
    dependencies.reset()
    assert killswitches.is_paused(killswitches.LLM_PAUSED) is False


def test_failed_write_raises(ssm_switches, monkeypatch):
    monkeypatch.setenv("SSM_LLM_PAUSED_PARAM", "/aws/reserved")
    dependencies.reset()
    with pytest.raises(killswitches.KillswitchWriteError):
        killswitches.set_paused(killswitches.LLM_PAUSED, True)


def test_reads_use_only_the_action_the_iam_roles_grant(ssm_switches):
    """pulumi/components/iam.py grants ssm:GetParameter (not GetParameters) on these names."""
    from chalicelib import aws as aws_clients

    operations: list[str] = []
    client = aws_clients.client("ssm")
    client.meta.events.register("before-call.ssm.*", lambda model, **_: operations.append(model.name))
    killswitches.paused_states(killswitches.SWITCHES)
    assert set(operations) == {"GetParameter"} and len(operations) == 4
    from chalicelib.resources import KILLSWITCH_PARAMETERS

    fixed = [killswitches.parameter_name(s) for s in (killswitches.GRADING_PAUSED, killswitches.SOLUTION_PAUSED)]
    assert set(fixed) <= set(KILLSWITCH_PARAMETERS)


def test_unknown_switch_is_a_programming_error():
    with pytest.raises(ValueError):
        killswitches.is_paused("COFFEE_PAUSED")
