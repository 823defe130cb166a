"""Pulumi entry point: ``pulumi up`` in this directory deploys the whole system (see README.md)."""
import sys
from pathlib import Path

# The program reads chalicelib/resources.py, the definitions the local runtime uses too. There is
# deliberately no pulumi/__init__.py: this folder must never shadow the ``pulumi`` package.
HERE = Path(__file__).resolve().parent
sys.path[:0] = [path for path in (str(HERE), str(HERE.parent)) if path not in sys.path]

import pulumi  # noqa: E402

import program  # noqa: E402
import stack_config  # noqa: E402

config = stack_config.load()
for name, value in program.deploy(config, program.deployment_artifact(config)).items():
    pulumi.export(name, value)
