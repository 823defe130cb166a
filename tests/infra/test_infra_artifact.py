"""The deployment artifact built from the repository (pulumi/artifact.py).

Production builds take Linux wheels from the package index (``PipDependencies``); with no network
here, the full build copies this Linux x86_64 CPython 3.11 venv's packages instead
(``InstalledDependencies``), and the pip path is exercised offline with a local wheel directory.
"""
import base64
import hashlib
import importlib.util
import json
import marshal
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

import artifact as builder
from infra_harness import REPO

LAMBDA_UNZIPPED_LIMIT = 250 * 1024 * 1024


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> builder.Artifact:
    output = tmp_path_factory.mktemp("build") / "innova-lambda.zip"
    return builder.build(REPO, output, builder.InstalledDependencies())


@pytest.fixture(scope="module")
def names(built) -> set[str]:
    with zipfile.ZipFile(built.path) as archive:
        return set(archive.namelist())


@pytest.fixture(scope="module")
def extracted(built, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("task")  # what Lambda unpacks into /var/task
    with zipfile.ZipFile(built.path) as archive:
        archive.extractall(target)
    return target


def runtime_requirements():
    return [r for r in builder.read_requirements(REPO / "requirements.txt") if r.name != "chalice"]


def run_python(code: str, *args: str) -> subprocess.CompletedProcess:
    """A fresh interpreter without site-packages (-S) or the environment (-I): only the artifact."""
    return subprocess.run([sys.executable, "-I", "-S", "-c", code, *args], capture_output=True, text=True,
                          timeout=120)


def test_contains_the_app_and_all_of_chalicelib(names):
    assert "app.py" in names
    sources = {p.relative_to(REPO).as_posix() for p in (REPO / "chalicelib").rglob("*.py")}
    assert sources and sources <= names


def test_ships_only_the_chalice_runtime_not_its_cli(names):
    assert {n for n in names if n.startswith("chalice/") and n.endswith(".py")} == set(builder.CHALICE_RUNTIME_FILES)
    top_level = {n.split("/", 1)[0] for n in names}
    assert not top_level & {"click", "pip", "setuptools", "inquirer", "bin", "yaml"}


def test_contains_every_pinned_runtime_dependency(names):
    installed = {n.split("/", 1)[0] for n in names if ".dist-info/" in n}
    for requirement in runtime_requirements():
        (version,) = [s.version for s in requirement.specifier]
        dist_info = f"{requirement.name.lower().replace('-', '_')}-{version}.dist-info"
        assert dist_info in {d.lower() for d in installed}, requirement


def test_fits_lambda_unzipped_size_limit(built):
    with zipfile.ZipFile(built.path) as archive:
        assert sum(i.file_size for i in archive.infolist()) < LAMBDA_UNZIPPED_LIMIT


def test_every_module_ships_precompiled_unchecked_bytecode(names, extracted):
    for name in sorted(names):
        if not name.endswith(".py"):
            continue
        cached = importlib.util.cache_from_source(name)
        assert cached in names, name
        header = (extracted / cached).read_bytes()[:16]
        assert header[:4] == importlib.util.MAGIC_NUMBER
        # PEP 552 flags: bit 0 = hash-based, bit 1 = check_source; 0b01 = unchecked hash.
        assert int.from_bytes(header[4:8], "little") == 0b01, name


def test_bytecode_records_lambda_paths(extracted):
    code = marshal.loads((extracted / importlib.util.cache_from_source("chalicelib/resources.py")).read_bytes()[16:])
    assert code.co_filename == "/var/task/chalicelib/resources.py"


def test_entries_have_fixed_times_and_readable_modes(built):
    with zipfile.ZipFile(built.path) as archive:
        for info in archive.infolist():
            assert info.date_time == (1980, 1, 1, 0, 0, 0)
            assert (info.external_attr >> 16) in (0o100644, 0o100755)


def test_digest_matches_the_file(built):
    digest = hashlib.sha256(built.path.read_bytes()).digest()
    assert built.sha256 == digest.hex()
    assert built.source_code_hash == base64.b64encode(digest).decode()


def test_handlers_and_their_modules_import_from_the_artifact_alone(extracted):
    script = """
import importlib, json, sys
root = sys.argv[1]
sys.path.insert(0, root)
import app
handlers = {name: type(getattr(app, name)).__name__ for name in json.loads(sys.argv[2])}
workers = [importlib.import_module("chalicelib.workers." + m).__name__ for m in json.loads(sys.argv[3])]
outside = [n for n, m in list(sys.modules.items())
           if getattr(m, "__file__", None) and n.split(".")[0] in ("app", "chalice", "chalicelib", "pydantic",
                                                                  "pg8000", "jwt")
           and not m.__file__.startswith(root)]
print(json.dumps({"handlers": handlers, "workers": workers, "outside": outside}))
"""
    from chalicelib import resources

    handlers = [f.handler for f in resources.FUNCTIONS.values()]
    workers = sorted(p.stem for p in (REPO / "chalicelib" / "workers").glob("*.py") if p.stem != "__init__")
    result = run_python(script, str(extracted), json.dumps(handlers), json.dumps(workers))
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["handlers"] == {name: ("InnovaChalice" if name == "app" else "EventSourceHandler")
                                  for name in handlers}
    assert len(report["workers"]) == len(workers)
    assert report["outside"] == []


def test_every_runtime_dependency_imports_from_the_artifact(extracted):
    script = """
import importlib, importlib.metadata, json, sys
root = sys.argv[1]
sys.path.insert(0, root)
modules = {}
for top, dists in importlib.metadata.packages_distributions().items():
    for dist in dists:
        modules.setdefault(dist.lower().replace("_", "-"), set()).add(top)
where = {}
for name in json.loads(sys.argv[2]):
    for top in sorted(modules[name]):
        if not top.startswith("_"):
            module = importlib.import_module(top if top != "google" else "google.genai")
            where[top] = (getattr(module, "__file__", None) or list(module.__path__)[0]).startswith(root)
print(json.dumps(where))
"""
    names = [r.name.lower().replace("_", "-") for r in runtime_requirements()]
    result = run_python(script, str(extracted), json.dumps(names))
    assert result.returncode == 0, result.stderr
    where = json.loads(result.stdout)
    assert {"pydantic", "pg8000", "pymongo", "boto3", "botocore", "anthropic", "google", "jwt",
            "cryptography", "swagger_ui_bundle"} <= set(where)
    assert all(where.values()), where


def test_lambda_runs_the_precompiled_bytecode_without_reading_the_source(extracted, tmp_path):
    """With fixed zip timestamps, timestamp-checked .pyc would be stale at every cold start."""
    task = tmp_path / "task"
    (task / "__pycache__").mkdir(parents=True)
    cached = importlib.util.cache_from_source("app.py")
    (task / cached).write_bytes((extracted / cached).read_bytes())
    (task / "app.py").write_text("raise SystemExit('the source was compiled instead of the bytecode')\n")
    result = run_python("import sys; sys.path[:0] = [sys.argv[1], sys.argv[2]]; import app; print(app.app.app_name)",
                        str(task), str(extracted))
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "innova-backend-serverless"


# -- builds of a small repository: reproducibility, the pip path, the dependency cache ---------------

def small_repo(root: Path, requirements: str = "") -> Path:
    (root / "chalicelib").mkdir(parents=True)
    (root / "chalicelib" / "__init__.py").write_text("")
    (root / "chalicelib" / "__pycache__").mkdir()
    (root / "chalicelib" / "__pycache__" / "stale.cpython-311.pyc").write_bytes(b"stale")
    (root / "app.py").write_text("import tinydep\napp = tinydep.VALUE\n" if requirements else "app = 1\n")
    (root / "requirements.txt").write_text(requirements)
    return root


def local_wheel(directory: Path) -> Path:
    """A pure-Python wheel, as pip download would leave it in CI's wheel directory."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "tinydep-1.0-py3-none-any.whl"
    files = {
        "tinydep/__init__.py": "VALUE = 42\n",
        "tinydep-1.0.dist-info/METADATA": "Metadata-Version: 2.1\nName: tinydep\nVersion: 1.0\n",
        "tinydep-1.0.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: test\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
    }
    record = [f"{name},sha256={base64.urlsafe_b64encode(hashlib.sha256(body.encode()).digest()).rstrip(b'=').decode()},"
              f"{len(body)}" for name, body in files.items()]
    files["tinydep-1.0.dist-info/RECORD"] = "\n".join(record + ["tinydep-1.0.dist-info/RECORD,,"]) + "\n"
    with zipfile.ZipFile(path, "w") as wheel:
        for name, body in files.items():
            wheel.writestr(name, body)
    return path


def test_builds_are_byte_for_byte_reproducible(tmp_path):
    repo = small_repo(tmp_path / "repo")
    first = builder.build(repo, tmp_path / "a" / "x.zip", builder.InstalledDependencies())
    second = builder.build(repo, tmp_path / "b" / "x.zip", builder.InstalledDependencies())
    assert first.sha256 == second.sha256
    (repo / "app.py").write_text("app = 2\n")
    assert builder.build(repo, tmp_path / "c" / "x.zip", builder.InstalledDependencies()).sha256 != first.sha256


def test_app_sources_leave_their_local_bytecode_behind(tmp_path):
    repo = small_repo(tmp_path / "repo")
    artifact = builder.build(repo, tmp_path / "x.zip", builder.InstalledDependencies())
    with zipfile.ZipFile(artifact.path) as archive:
        assert not [n for n in archive.namelist() if "stale" in n]


def test_pip_path_installs_linux_wheels_from_a_wheel_directory_and_caches_them(tmp_path):
    wheels = tmp_path / "wheels"
    local_wheel(wheels)
    repo = small_repo(tmp_path / "repo", "tinydep==1.0\n")
    cache = tmp_path / "cache"
    artifact = builder.build(repo, tmp_path / "x.zip", builder.PipDependencies(wheels), cache_dir=cache)
    with zipfile.ZipFile(artifact.path) as archive:
        names = set(archive.namelist())
    assert {"app.py", "tinydep/__init__.py", importlib.util.cache_from_source("tinydep/__init__.py")} <= names
    assert len([p for p in cache.iterdir() if not p.name.startswith(".")]) == 1
    # A rebuild reuses the cached dependencies: the wheel is no longer needed.
    (wheels / "tinydep-1.0-py3-none-any.whl").unlink()
    again = builder.build(repo, tmp_path / "y.zip", builder.PipDependencies(wheels), cache_dir=cache)
    assert again.sha256 == artifact.sha256


def test_pip_failures_are_reported(tmp_path):
    repo = small_repo(tmp_path / "repo", "tinydep==2.0\n")
    local_wheel(tmp_path / "wheels")
    with pytest.raises(RuntimeError, match="pip could not install"):
        builder.build(repo, tmp_path / "x.zip", builder.PipDependencies(tmp_path / "wheels"))


def test_requirements_must_be_plain_pins(tmp_path):
    path = tmp_path / "requirements.txt"
    path.write_text("# comment\n\nchalice==1.34.0  # runtime\n")
    assert [str(r) for r in builder.read_requirements(path)] == ["chalice==1.34.0"]
    path.write_text("-r other.txt\n")
    with pytest.raises(ValueError, match="pip options"):
        builder.read_requirements(path)


def test_environment_builds_refuse_a_mismatched_pin(tmp_path):
    repo = small_repo(tmp_path / "repo", "pydantic==0.0.1\n")
    with pytest.raises(RuntimeError, match="needs pydantic==0.0.1"):
        builder.build(repo, tmp_path / "x.zip", builder.InstalledDependencies())
