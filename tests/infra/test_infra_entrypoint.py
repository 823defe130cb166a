"""``pulumi/__main__.py`` runs as the Pulumi CLI runs it: from the pulumi/ folder, nothing else on the path."""
import json
import subprocess
import sys
import zipfile

from infra_harness import OPERATOR_VALUES, PROGRAM_DIR, PROJECT, SECRETS, stack_config_values

SCRIPT = """
import json, runpy, sys, warnings
warnings.simplefilter("ignore", DeprecationWarning)
import pulumi

class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        return args.name + "-id", {**args.inputs, "arn": "arn:aws:x:us-east-1:123456789012:" + args.name,
                                   "url": "https://example/" + args.name}
    def call(self, args):
        return {"accountId": "123456789012"}

pulumi.runtime.set_mocks(Mocks(), project=sys.argv[1], stack="prod", preview=True)
config = json.loads(sys.argv[2])
pulumi.runtime.set_all_config(config, [k for k in config if k.split(":")[1] in json.loads(sys.argv[3])])

@pulumi.runtime.test
def run():
    runpy.run_path("__main__.py", run_name="__main__")

run()
print(json.dumps(sorted(pulumi.runtime.get_root_resource().outputs)))
"""


def test_main_deploys_from_the_committed_prod_config_and_exports_the_outputs(tmp_path):
    zip_path = tmp_path / "innova-lambda.zip"
    with zipfile.ZipFile(zip_path, "w") as archive:
        archive.writestr("app.py", "")
    config = stack_config_values("prod")
    config.update({f"{PROJECT}:{k}": v for k, v in {**OPERATOR_VALUES, **SECRETS, "artifactPath": str(zip_path)}.items()})
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, PROJECT, json.dumps(config), json.dumps(list(SECRETS))],
        cwd=PROGRAM_DIR, capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    outputs = set(json.loads(result.stdout.strip().splitlines()[-1]))
    assert {"innova-prod-LlmClassifyQueueArn", "AttemptStreamQueueUrl", "OcrUploadsBucketName",
            "apiInvokeUrl", "apiCustomDomainTarget"} <= outputs
