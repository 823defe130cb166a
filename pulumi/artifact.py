"""Builds the Lambda deployment artifact: one zip of the Chalice app shared by all six functions.

Contents (what ``chalice package`` would ship, plus bytecode):
- ``app.py`` and ``chalicelib/``;
- the Chalice runtime: only ``chalice/__init__.py`` and ``chalice/app.py``, as Chalice's own packager
  does — the ``chalice`` distribution's CLI dependencies (pip, setuptools, click, inquirer…) are
  never needed inside Lambda;
- every other requirement of ``requirements.txt`` with its dependencies, as Linux x86_64 CPython 3.11
  wheels (the Lambda ``python3.11`` runtime, Amazon Linux 2, glibc 2.26 → ``manylinux2014``);
- precompiled ``.pyc`` files (unchecked-hash, see :func:`_compile`): without them Lambda compiles
  every imported module at each cold start (tooling-facts §7: boto3 0.13 s → 0.5 s, anthropic
  0.8 s → 1.8 s).

The zip is deterministic (sorted entries, fixed timestamps and modes), so an unchanged app gives a
byte-identical artifact and Pulumi deploys nothing.

Command line (CI builds the zip once, then ``pulumi config set artifactPath ...``)::

    python pulumi/artifact.py --out build/innova-lambda.zip                  # wheels from the index
    python pulumi/artifact.py --out build/innova-lambda.zip --wheel-dir W    # offline, pre-downloaded
    python pulumi/artifact.py --out build/innova-lambda.zip --from-environment  # copy this venv
"""
from __future__ import annotations

import argparse
import base64
import compileall
import hashlib
import importlib.metadata
import os
import platform
import py_compile
import shutil
import subprocess
import sys
import tempfile
import warnings
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Iterable, Protocol

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

LAMBDA_PYTHON_VERSION = (3, 11)
LAMBDA_PLATFORM = "manylinux2014_x86_64"
LAMBDA_TASK_ROOT = "/var/task"  # where Lambda unpacks the zip; recorded in the .pyc files
CHALICE_RUNTIME_FILES = ("chalice/__init__.py", "chalice/app.py")
APP_SOURCES = ("app.py", "chalicelib")
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class Artifact:
    """A built (or pre-built) deployment zip and its digest."""

    path: Path
    sha256: str  # hex

    @classmethod
    def from_file(cls, path: str | os.PathLike) -> "Artifact":
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"deployment artifact {path} does not exist")
        return cls(path, _sha256_file(path))

    @property
    def source_code_hash(self) -> str:
        """The base64 SHA-256 Lambda reports as ``CodeSha256``."""
        return base64.b64encode(bytes.fromhex(self.sha256)).decode()


class DependencySource(Protocol):
    """Where the wheels of the requirements come from."""

    def install(self, requirements: list[Requirement], target: Path, *, with_dependencies: bool) -> None:
        """Put the requirements (and, if asked, their dependencies) into ``target`` as site-packages."""

    def cache_key(self) -> str | None:
        """A key identifying what ``install`` would produce, or None when it must not be cached."""


@dataclass(frozen=True)
class PipDependencies:
    """Linux wheels resolved by pip for the Lambda platform, whatever the build machine is.

    From the configured package index by default; from a directory of pre-downloaded wheels when
    ``wheel_dir`` is given (offline builds: ``pip download --platform manylinux2014_x86_64
    --python-version 3.11 --only-binary=:all: -d W -r requirements.txt``).
    """

    wheel_dir: Path | None = None

    def install(self, requirements: list[Requirement], target: Path, *, with_dependencies: bool) -> None:
        if not requirements:
            return
        command = [
            sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
            "--no-compile", "--target", str(target),
            "--platform", LAMBDA_PLATFORM, "--implementation", "cp",
            "--python-version", ".".join(map(str, LAMBDA_PYTHON_VERSION)), "--only-binary=:all:",
        ]
        if not with_dependencies:
            command.append("--no-deps")
        if self.wheel_dir is not None:
            command += ["--no-index", "--find-links", str(self.wheel_dir)]
        command += [str(r) for r in requirements]
        result = subprocess.run(command, capture_output=True, text=True)
        if result.returncode != 0:
            raise RuntimeError(f"pip could not install the Lambda dependencies:\n{result.stderr}")

    def cache_key(self) -> str | None:
        return f"pip:{LAMBDA_PLATFORM}:{LAMBDA_PYTHON_VERSION}:{self.wheel_dir or 'index'}"


@dataclass(frozen=True)
class InstalledDependencies:
    """The requirements' distributions copied from this interpreter's environment.

    For offline builds and tests on a Linux x86_64 CPython 3.11 machine only: the copied wheels are
    whatever this venv installed, which may need a newer glibc than Lambda's; deploy a
    :class:`PipDependencies` build.
    """

    def __post_init__(self) -> None:
        here = (sys.implementation.name, sys.platform, platform.machine(), sys.version_info[:2])
        if here != ("cpython", "linux", "x86_64", LAMBDA_PYTHON_VERSION):
            raise RuntimeError(f"cannot copy {here} packages into a python3.11 x86_64 Lambda artifact")

    def install(self, requirements: list[Requirement], target: Path, *, with_dependencies: bool) -> None:
        for dist in self._closure(requirements, with_dependencies):
            for file in dist.files or ():
                if file.parts[0] == ".." or "__pycache__" in file.parts:
                    continue  # console scripts outside site-packages; bytecode is rebuilt
                destination = target / Path(*file.parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                _link_or_copy(Path(dist.locate_file(file)), destination)

    def cache_key(self) -> str | None:
        return None  # the environment can change under the same requirements

    @staticmethod
    def _closure(requirements: list[Requirement], with_dependencies: bool):
        found: dict[str, importlib.metadata.Distribution] = {}
        pending = [(r, {""} | set(r.extras)) for r in requirements]
        while pending:
            requirement, extras = pending.pop()
            if requirement.marker and not any(requirement.marker.evaluate({"extra": e}) for e in extras):
                continue
            name = canonicalize_name(requirement.name)
            dist = importlib.metadata.distribution(requirement.name)
            if not requirement.specifier.contains(dist.version, prereleases=True):
                raise RuntimeError(f"this environment has {requirement.name} {dist.version}; "
                                   f"the artifact needs {requirement}")
            if name in found:
                continue
            found[name] = dist
            if with_dependencies:
                pending += [(Requirement(r), {""} | set(requirement.extras)) for r in dist.requires or ()]
        return [found[name] for name in sorted(found)]


def read_requirements(path: Path) -> list[Requirement]:
    """The pinned requirements of a requirements file (comments and blank lines skipped)."""
    requirements = []
    for raw in path.read_text().splitlines():
        line = raw.split("#", 1)[0].strip()
        if not line:
            continue
        if line.startswith("-"):
            raise ValueError(f"{path}: pip options are not supported in the runtime requirements: {line}")
        requirements.append(Requirement(line))
    return requirements


def build(repo_root: str | os.PathLike, output: str | os.PathLike, source: DependencySource, *,
          cache_dir: str | os.PathLike | None = None, compile_bytecode: bool = True) -> Artifact:
    """Build the deployment zip of the Chalice app in ``repo_root`` at ``output``.

    Dependencies are installed once per requirements set into ``cache_dir`` (when the source can
    be cached), so rebuilding after an app change only re-zips.
    """
    repo_root, output = Path(repo_root), Path(output)
    requirements = read_requirements(repo_root / "requirements.txt")
    chalice = [r for r in requirements if canonicalize_name(r.name) == "chalice"]
    runtime = [r for r in requirements if canonicalize_name(r.name) != "chalice"]
    compile_bytecode = compile_bytecode and _can_compile()

    with tempfile.TemporaryDirectory(prefix="innova-artifact-") as work:
        work = Path(work)
        dependencies = _dependencies(source, runtime, work, cache_dir, compile_bytecode)
        app = work / "app"
        if chalice:
            source.install(chalice, work / "chalice", with_dependencies=False)
            for relative in CHALICE_RUNTIME_FILES:
                _copy_source(work / "chalice" / relative, app / relative)
        for name in APP_SOURCES:
            _copy_source(repo_root / name, app / name)
        if compile_bytecode:
            _compile(app)
        output.parent.mkdir(parents=True, exist_ok=True)
        # pip --target puts console scripts in a top-level bin/: nothing in Lambda runs them.
        _write_zip({**_files(dependencies, skip_top_level={"bin"}), **_files(app)}, output)
    return Artifact.from_file(output)


def _dependencies(source: DependencySource, requirements: list[Requirement], work: Path,
                  cache_dir: str | os.PathLike | None, compile_bytecode: bool) -> Path:
    key = source.cache_key()
    if key is None or cache_dir is None:
        target = work / "dependencies"
        source.install(requirements, target, with_dependencies=True)
        if compile_bytecode:
            _compile(target)
        return target
    digest = hashlib.sha256("\n".join([key, str(compile_bytecode), *map(str, requirements)]).encode())
    target = Path(cache_dir) / digest.hexdigest()[:16]
    if not target.is_dir():
        target.parent.mkdir(parents=True, exist_ok=True)
        partial = Path(tempfile.mkdtemp(prefix=".partial-", dir=target.parent))
        source.install(requirements, partial, with_dependencies=True)
        if compile_bytecode:
            _compile(partial)
        partial.rename(target)  # atomic: a half-installed cache entry is never reused
    return target


def _copy_source(source: Path, destination: Path) -> None:
    if source.is_dir():
        shutil.copytree(source, destination, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)


def _link_or_copy(source: Path, destination: Path) -> None:
    # A hard link is instant and the build never writes to a copied file (bytecode goes to new
    # files in __pycache__); fall back to a copy across filesystems.
    try:
        os.link(source, destination)
    except OSError:
        shutil.copy2(source, destination)


def _can_compile() -> bool:
    if sys.version_info[:2] == LAMBDA_PYTHON_VERSION:
        return True
    warnings.warn(f"building with Python {sys.version_info[0]}.{sys.version_info[1]}: the artifact "
                  "ships without precompiled bytecode (it needs 3.11 .pyc files)", stacklevel=3)
    return False


def _compile(root: Path) -> None:
    """Precompile every module as Lambda will import it.

    Unchecked-hash .pyc files are used as they are, never compared with the source's mtime: the zip
    stores fixed timestamps, so timestamp-based .pyc would look stale and be recompiled (and not
    saved: /var/task is read-only) at every cold start. ``ddir`` records the Lambda path, which
    keeps the bytes independent of this build's temporary directory.
    """
    ok = compileall.compile_dir(
        str(root), ddir=LAMBDA_TASK_ROOT, quiet=2, workers=0, legacy=False,
        invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH,
    )
    if not ok:
        warnings.warn("some modules of the artifact did not compile; they will compile at import",
                      stacklevel=2)


def _files(root: Path, skip_top_level: frozenset[str] | set[str] = frozenset()) -> dict[str, Path]:
    """Every file under ``root`` by its archive name."""
    files = {}
    for path in root.rglob("*"):
        name = path.relative_to(root).as_posix()
        if path.is_file() and name.split("/", 1)[0] not in skip_top_level:
            files[name] = path
    return files


def _write_zip(files: dict[str, Path], output: Path) -> None:
    """Write ``files`` (archive name → path) as a reproducible zip: sorted, fixed times and modes."""
    partial = output.with_name(output.name + ".partial")
    with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as archive:
        for name in sorted(files):
            path = files[name]
            info = zipfile.ZipInfo(name, date_time=_ZIP_EPOCH)
            executable = os.stat(path).st_mode & 0o111
            info.external_attr = (0o100755 if executable else 0o100644) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(info, path.read_bytes(), compresslevel=6)
    partial.replace(output)


def _sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", default=Path(__file__).resolve().parent.parent, type=Path,
                        help="repository root holding app.py, chalicelib/ and requirements.txt")
    parser.add_argument("--out", default=None, type=Path, help="zip to write (default build/innova-lambda.zip)")
    group = parser.add_mutually_exclusive_group()
    group.add_argument("--wheel-dir", type=Path, help="install from these pre-downloaded wheels only")
    group.add_argument("--from-environment", action="store_true",
                       help="copy the packages of this interpreter (offline/tests; not for production)")
    parser.add_argument("--no-bytecode", action="store_true", help="skip .pyc precompilation")
    args = parser.parse_args(list(argv) if argv is not None else None)

    source: DependencySource = InstalledDependencies() if args.from_environment else PipDependencies(args.wheel_dir)
    output = args.out or args.repo / "build" / "innova-lambda.zip"
    artifact = build(args.repo, output, source, cache_dir=args.repo / "build" / "lambda-deps",
                     compile_bytecode=not args.no_bytecode)
    print(f"{artifact.path} sha256={artifact.sha256} size={artifact.path.stat().st_size}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
