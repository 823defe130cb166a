"""Fixtures of the infrastructure tests: the Pulumi program run once under mocks, the real app."""
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))  # infra_harness, whatever the import mode

from infra_harness import Deployment, operator_config, run_program  # noqa: E402


@pytest.fixture(scope="session")
def artifact_zip(tmp_path_factory) -> Path:
    """A stand-in deployment zip: the program only uploads it (the real build is tested apart)."""
    import zipfile

    path = tmp_path_factory.mktemp("artifact") / "innova-lambda.zip"
    with zipfile.ZipFile(path, "w") as archive:
        archive.writestr("app.py", "app = None\n")
    return path


@pytest.fixture(scope="session")
def deployment(artifact_zip) -> Deployment:
    """The prod stack (committed Pulumi.prod.yaml + operator values and secrets), run once."""
    values, secret_keys = operator_config("prod", artifactPath=str(artifact_zip))
    return run_program("prod", values, secret_keys)


@pytest.fixture(scope="session")
def app_module():
    """The real ``app.py`` of the repository: handler strings must name its attributes."""
    import app

    return app
