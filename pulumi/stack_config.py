"""The stack's configuration (``Pulumi.<stack>.yaml`` + secrets), read and checked once.

Function names, queues, buckets and trigger settings are not configuration: they come from
``chalicelib/resources.py``, the definitions the local runtime reads too. Configuration holds what
differs per deployment: the stage, the API domain and certificate, memory/timeout overrides, the
application settings that are not resource names, and the secrets.
"""
from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass, field
from typing import Mapping

import pulumi

from chalicelib import resources, settings

SECRET_SETTINGS: tuple[str, ...] = (
    "DATABASE_URL", "MONGODB_URI", "SUPABASE_SERVICE_ROLE_KEY", "SUPABASE_JWT_SECRET",
    "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "RESEND_API_KEY",
)
"""Settings that only ever come from Pulumi config secrets (infra.md §7.2), never from plain config."""

MAX_LAMBDA_TIMEOUT = 900
LAMBDA_MEMORY_RANGE = (128, 10240)
_CERTIFICATE_ARN = re.compile(r"^arn:aws:acm:[a-z0-9-]+:\d{12}:certificate/[0-9a-f-]{36}$")


class ConfigError(ValueError):
    """The stack configuration is invalid; the message says which key and how to fix it."""


def config_key(setting: str) -> str:
    """The config key of an application setting: ``DATABASE_URL`` → ``databaseUrl``."""
    head, *rest = setting.lower().split("_")
    return head + "".join(part.capitalize() for part in rest)


@dataclass(frozen=True)
class StackConfig:
    stage: str
    api_domain: str
    api_certificate_arn: str
    functions: Mapping[str, resources.Function]  # resources.FUNCTIONS with the overrides applied
    settings: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)  # setting → value
    artifact_path: str | None = None
    manage_killswitches: bool = True

    @property
    def region(self) -> str:
        return resources.REGION


def load() -> StackConfig:
    """Read the current stack's configuration (``pulumi.Config()``), failing with a clear message."""
    config = pulumi.Config()
    region = pulumi.Config("aws").get("region")
    if region != resources.REGION:
        raise ConfigError(f"aws:region is {region!r}; this stack lives in {resources.REGION} (infra.md §1): "
                          f"pulumi config set aws:region {resources.REGION}")
    stage = config.get("stage") or pulumi.get_stack()
    api_domain = config.get("apiDomain") or resources.API_DOMAIN_NAME
    certificate = config.require("apiCertificateArn")
    if not _CERTIFICATE_ARN.match(certificate):
        raise ConfigError(
            f"apiCertificateArn {certificate!r} is not an ACM certificate ARN; set the certificate "
            f"covering {api_domain}: pulumi config set apiCertificateArn arn:aws:acm:us-east-1:<account>:certificate/<id>"
        )
    functions = apply_overrides(
        resources.FUNCTIONS,
        memory=config.get_object("functionMemory") or {},
        timeouts=config.get_object("functionTimeouts") or {},
    )
    return StackConfig(
        stage=stage,
        api_domain=api_domain,
        api_certificate_arn=certificate,
        functions=functions,
        settings=_application_settings(config, stage, api_domain, functions),
        artifact_path=config.get("artifactPath"),
        manage_killswitches=config.get_bool("manageKillswitches") is not False,
    )


def apply_overrides(functions: Mapping[str, resources.Function], *, memory: Mapping[str, int],
                    timeouts: Mapping[str, int]) -> dict[str, resources.Function]:
    """The functions with per-stack memory (MB) and timeout (s) overrides, validated.

    A timeout may not outgrow its queue: SQS must keep a message invisible for ≥ 6× the consuming
    function's timeout (anchors §6), and Lambda refuses a mapping whose function timeout exceeds
    the queue's visibility timeout.
    """
    for key in {*memory, *timeouts} - functions.keys():
        raise ConfigError(f"functionMemory/functionTimeouts: unknown function {key!r} "
                          f"(one of {', '.join(functions)})")
    result = {}
    for key, function in functions.items():
        function = dataclasses.replace(
            function,
            memory_mb=int(memory.get(key, function.memory_mb)),
            timeout_seconds=int(timeouts.get(key, function.timeout_seconds)),
        )
        low, high = LAMBDA_MEMORY_RANGE
        if not low <= function.memory_mb <= high:
            raise ConfigError(f"functionMemory.{key}: {function.memory_mb} MB is outside {low}–{high} MB")
        if not 1 <= function.timeout_seconds <= MAX_LAMBDA_TIMEOUT:
            raise ConfigError(f"functionTimeouts.{key}: {function.timeout_seconds} s is outside 1–{MAX_LAMBDA_TIMEOUT} s")
        queue = resources.queue_for_function(key)
        if queue is not None and queue.visibility_timeout_seconds < 6 * function.timeout_seconds:
            raise ConfigError(
                f"functionTimeouts.{key}: {function.timeout_seconds} s needs {queue.logical_name}'s visibility "
                f"timeout ({queue.visibility_timeout_seconds} s) to be at least 6× as long; raise it in "
                "chalicelib/resources.py first"
            )
        result[key] = function
    return result


def _application_settings(config: pulumi.Config, stage: str, api_domain: str,
                          functions: Mapping[str, resources.Function]) -> dict[str, pulumi.Input[str]]:
    """Values of the settings that come from configuration (not from the stack's own resources).

    Secrets are read as secrets and must have been stored with ``--secret``. A setting some
    function cannot start without (``chalicelib.settings.REQUIRED``, plus ``REQUIRED_IN_PRODUCTION``
    on prod) is required here, so a deployment fails at ``pulumi preview``, not at a cold start.
    Unset optional settings are left out and the application's defaults apply.
    """
    derived = _derived_settings()
    wanted = sorted({name for f in functions.values() for name in f.env} - derived)
    required = {name for names in settings.REQUIRED.values() for name in names}
    if stage == "prod":
        required |= {name for names in settings.REQUIRED_IN_PRODUCTION.values() for name in names}

    values: dict[str, pulumi.Input[str]] = {
        "LOG_LEVEL": config.get("logLevel") or "info",
        "PUBLIC_API_URL": config.get("publicApiUrl") or f"https://{api_domain}",
    }
    for name in wanted:
        if name in values:
            continue
        key = config_key(name)
        stored_as_secret = pulumi.runtime.is_config_secret(config.full_key(key))
        if name in SECRET_SETTINGS and config.get_secret(key) is not None and not stored_as_secret:
            raise ConfigError(f"{key} holds a secret: store it with `pulumi config set --secret {key} ...`")
        if name in SECRET_SETTINGS or stored_as_secret:
            value = config.require_secret(key) if name in required else config.get_secret(key)
        else:
            value = config.require(key) if name in required else config.get(key)
        if value is not None:
            values[name] = value
    return values


def _derived_settings() -> set[str]:
    """Settings whose value is a resource of this stack (queue URLs, bucket names, …) or the stage."""
    return (
        {"STAGE"}
        | {q.url_setting for q in resources.QUEUES.values()}
        | {b.setting for b in resources.BUCKETS.values()}
        | set(resources.KILLSWITCH_SETTINGS)
    )
