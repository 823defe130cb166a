"""Stack configuration: the committed stack files, secrets, overrides and their limits."""
import pulumi
import pytest
import yaml

import stack_config
from chalicelib import resources
from infra_harness import OPERATOR_VALUES, PROGRAM_DIR, PROJECT, SECRETS, configure, stack_config_values


@pytest.fixture
def load(deployment):
    """Load a stack's configuration under the mocks, restoring the session's afterwards."""
    saved = (dict(pulumi.runtime.config.CONFIG.get()), set(pulumi.runtime.config._SECRET_KEYS.get()))

    def run(stack, values=None, secret_keys=(), drop=()):
        config = stack_config_values(stack)
        config.update({f"{PROJECT}:{k}": v for k, v in (values or {}).items()})
        for key in drop:
            config.pop(key if ":" in key else f"{PROJECT}:{key}")
        configure(config, [f"{PROJECT}:{k}" for k in secret_keys])
        return stack_config.load()

    yield run
    configure(*saved)


def test_config_keys_are_the_settings_in_camel_case():
    assert stack_config.config_key("DATABASE_URL") == "databaseUrl"
    assert stack_config.config_key("SUPABASE_SERVICE_ROLE_KEY") == "supabaseServiceRoleKey"
    assert stack_config.config_key("STAGE") == "stage"


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_committed_stack_files_hold_no_secret_in_clear(stack):
    config = yaml.safe_load((PROGRAM_DIR / f"Pulumi.{stack}.yaml").read_text())["config"]
    for setting in stack_config.SECRET_SETTINGS:
        value = config.get(f"{PROJECT}:{stack_config.config_key(setting)}")
        assert value is None or (isinstance(value, dict) and set(value) == {"secure"}), setting


def test_dev_stack_loads_with_only_a_database_url(load):
    config = load("dev", {"apiCertificateArn": OPERATOR_VALUES["apiCertificateArn"],
                          "databaseUrl": SECRETS["databaseUrl"]}, secret_keys=["databaseUrl"])
    assert config.stage == "dev"
    assert config.api_domain == "api-dev.superprofes.app"  # api.superprofes.app belongs to prod
    assert config.settings["LOG_LEVEL"] == "debug"
    assert "MONGODB_URI" not in config.settings  # unset optional: documents go to PostgreSQL JSONB
    assert isinstance(config.settings["DATABASE_URL"], pulumi.Output)  # kept secret
    assert config.functions == resources.FUNCTIONS  # no overrides in the committed file


def test_a_secret_stored_in_clear_is_refused(load):
    with pytest.raises(stack_config.ConfigError, match="pulumi config set --secret databaseUrl"):
        load("dev", {"apiCertificateArn": OPERATOR_VALUES["apiCertificateArn"],
                     "databaseUrl": SECRETS["databaseUrl"]}, secret_keys=[])


def test_the_committed_certificate_placeholder_is_refused_with_instructions(load):
    with pytest.raises(stack_config.ConfigError, match="pulumi config set apiCertificateArn"):
        load("prod", SECRETS | {"supabaseUrl": OPERATOR_VALUES["supabaseUrl"]}, secret_keys=list(SECRETS))


def test_the_stack_stays_in_us_east_1(load):
    with pytest.raises(stack_config.ConfigError, match="aws:region"):
        load("dev", {"apiCertificateArn": OPERATOR_VALUES["apiCertificateArn"], "databaseUrl": SECRETS["databaseUrl"]},
             secret_keys=["databaseUrl"], drop=["aws:region"])


def test_a_missing_required_secret_fails_at_preview(load):
    with pytest.raises(pulumi.ConfigMissingError, match="databaseUrl"):
        load("dev", {"apiCertificateArn": OPERATOR_VALUES["apiCertificateArn"]})


def test_prod_requires_what_production_functions_cannot_start_without(load):
    secrets = {k: v for k, v in SECRETS.items() if k != "anthropicApiKey"}
    with pytest.raises(pulumi.ConfigMissingError, match="anthropicApiKey"):
        load("prod", OPERATOR_VALUES | secrets, secret_keys=list(secrets))
    with pytest.raises(pulumi.ConfigMissingError, match="supabaseUrl"):
        load("prod", {"apiCertificateArn": OPERATOR_VALUES["apiCertificateArn"]} | SECRETS, secret_keys=list(SECRETS))


def test_memory_and_timeout_overrides_come_from_config(load):
    config = load("dev", {"apiCertificateArn": OPERATOR_VALUES["apiCertificateArn"],
                          "databaseUrl": SECRETS["databaseUrl"],
                          "functionMemory": '{"llmClassifierWorker": 1024}',
                          "functionTimeouts": '{"api": 29}'}, secret_keys=["databaseUrl"])
    assert config.functions["llmClassifierWorker"].memory_mb == 1024
    assert config.functions["api"].timeout_seconds == 29
    assert config.functions["ocrWorker"] == resources.FUNCTIONS["ocrWorker"]


def test_a_timeout_may_not_outgrow_its_queue_visibility():
    # LlmClassifyQueue: 720 s visibility → at most 120 s.
    stack_config.apply_overrides(resources.FUNCTIONS, memory={}, timeouts={"llmClassifierWorker": 120})
    with pytest.raises(stack_config.ConfigError, match="6×"):
        stack_config.apply_overrides(resources.FUNCTIONS, memory={}, timeouts={"llmClassifierWorker": 121})
    # alertGenerator has no queue: only Lambda's own limit applies.
    stack_config.apply_overrides(resources.FUNCTIONS, memory={}, timeouts={"alertGenerator": 900})
    with pytest.raises(stack_config.ConfigError, match="900"):
        stack_config.apply_overrides(resources.FUNCTIONS, memory={}, timeouts={"alertGenerator": 901})


def test_overrides_name_known_functions_and_lambda_memory_sizes():
    with pytest.raises(stack_config.ConfigError, match="unknown function 'apiWorker'"):
        stack_config.apply_overrides(resources.FUNCTIONS, memory={"apiWorker": 256}, timeouts={})
    with pytest.raises(stack_config.ConfigError, match="128"):
        stack_config.apply_overrides(resources.FUNCTIONS, memory={"api": 64}, timeouts={})


def test_killswitch_ownership_can_be_left_to_another_stack_of_the_account(load):
    base = {"apiCertificateArn": OPERATOR_VALUES["apiCertificateArn"], "databaseUrl": SECRETS["databaseUrl"]}
    assert load("dev", base, secret_keys=["databaseUrl"]).manage_killswitches is True
    assert load("dev", base | {"manageKillswitches": "false"}, secret_keys=["databaseUrl"]).manage_killswitches is False
