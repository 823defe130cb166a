"""Wires the components into the stack and names its outputs (infra.md §2.3)."""
from __future__ import annotations

from pathlib import Path

import pulumi
import pulumi_aws as aws

from chalicelib import resources

import artifact as artifacts
from components.api import Api
from components.functions import Code, Functions
from components.iam import FunctionRoles
from components.killswitches import Killswitches
from components.queues import Queues
from components.storage import Storage
from stack_config import StackConfig

REPO_ROOT = Path(__file__).resolve().parent.parent


def deployment_artifact(config: StackConfig) -> artifacts.Artifact:
    """The pre-built zip named by ``artifactPath``, else a fresh build of the repository."""
    if config.artifact_path:
        return artifacts.Artifact.from_file(Path(__file__).parent / config.artifact_path)  # relative: to pulumi/
    return artifacts.build(
        REPO_ROOT, REPO_ROOT / "build" / "innova-lambda.zip", artifacts.PipDependencies(),
        cache_dir=REPO_ROOT / "build" / "lambda-deps",
    )


def deploy(config: StackConfig, artifact: artifacts.Artifact) -> dict[str, pulumi.Output]:
    """Declare every resource of the stack; returns the stack outputs by name."""
    stage = config.stage
    account_id = aws.get_caller_identity_output().account_id

    queues = Queues("queues", stage=stage)
    storage = Storage("storage", stage=stage)
    if config.manage_killswitches:
        Killswitches("killswitches")  # read at run time; a missing one counts as "not paused"
    roles = FunctionRoles("iam", stage=stage, functions=config.functions, queues=queues, storage=storage,
                          account_id=account_id, region=config.region)
    upload = storage.publish_artifact(str(artifact.path), artifact.sha256)
    functions = Functions(
        "functions",
        stage=stage,
        functions=config.functions,
        roles=roles,
        code=Code(bucket=upload.bucket, key=upload.key, sha256_base64=artifact.source_code_hash),
        settings=runtime_settings(config, queues, storage),
        queues=queues,
        storage=storage,
        account_id=account_id,
    )
    api = Api("api", stage=stage, function=functions.functions["api"], domain_name=config.api_domain,
              certificate_arn=config.api_certificate_arn)

    outputs: dict[str, pulumi.Output] = {}
    for queue in resources.QUEUES.values():
        if queue.output_arn_key:
            outputs[f"innova-{stage}-{queue.output_arn_key}"] = queues.arn(queue.key)
    for spec in resources.all_queues():
        outputs[f"{spec.logical_name}Url"] = queues.url(spec.key)
    for bucket in resources.BUCKETS.values():
        outputs[f"{bucket.logical_name}Name"] = storage.name(bucket.key)
    outputs["apiInvokeUrl"] = api.invoke_url
    outputs["apiCustomDomainUrl"] = pulumi.Output.from_input(f"https://{config.api_domain}")
    outputs["apiCustomDomainTarget"] = api.domain_target  # CNAME target at name.com
    outputs["functionNames"] = pulumi.Output.from_input(
        {key: spec.name(stage) for key, spec in config.functions.items()}
    )
    return outputs


def runtime_settings(config: StackConfig, queues: Queues, storage: Storage) -> dict[str, pulumi.Input[str]]:
    """The value of every setting a function may read: this stack's resources plus configuration."""
    values: dict[str, pulumi.Input[str]] = {"STAGE": config.stage, **resources.KILLSWITCH_SETTINGS}
    values.update({q.url_setting: queues.url(q.key) for q in resources.QUEUES.values()})
    values.update({b.setting: storage.name(b.key) for b in resources.BUCKETS.values()})
    values.update(config.settings)
    return values
