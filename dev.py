#!/usr/bin/env python3
"""The two commands of the README, working on a fresh machine with only Python 3.11:

    python3 dev.py run     # the whole product locally (prints the API URL and demo tokens)
    python3 dev.py test    # the whole test suite (extra arguments go to pytest)

Both create ``.venv`` and install ``requirements-dev.txt`` on first use (and again whenever the
requirements files change), then run inside it. Standard library only.
"""
from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
STAMP = VENV / ".requirements.sha256"
REQUIREMENT_FILES = ("requirements.txt", "requirements-dev.txt")


def _requirements_digest() -> str:
    digest = hashlib.sha256()
    for name in REQUIREMENT_FILES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def ensure_environment() -> None:
    """Create the virtualenv and install the pinned requirements when they changed."""
    if sys.version_info[:2] < (3, 11):
        sys.exit("Python 3.11 or newer is required")
    if not PYTHON.exists():
        print("creating .venv …", flush=True)
        venv.EnvBuilder(with_pip=True).create(VENV)
    wanted = _requirements_digest()
    if STAMP.exists() and STAMP.read_text() == wanted:
        return
    print("installing requirements (first run takes about a minute) …", flush=True)
    subprocess.run([str(PYTHON), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
                    "-r", str(ROOT / "requirements-dev.txt")], check=True)
    STAMP.write_text(wanted)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in ("run", "test", "cli"):
        print(__doc__)
        return 2
    ensure_environment()
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if argv[0] == "test":
        command = [str(PYTHON), "-m", "pytest", *argv[1:]]
    elif argv[0] == "run":
        command = [str(PYTHON), "-m", "chalicelib.cli", "run", *argv[1:]]
    else:
        command = [str(PYTHON), "-m", "chalicelib.cli", *argv[1:]]
    os.chdir(ROOT)
    # Replace this process rather than wait for a child: on Ctrl-C, subprocess.call kills its child
    # 0.25 s after the interrupt, before the local runtime has stopped its workers and servers.
    os.execve(command[0], command, env)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
