"""The layering rules of ARCHITECTURE.md, checked on the source.

- ``chalicelib/domain`` is pure: it imports no I/O library (AWS, Postgres, MongoDB, Chalice, the AI
  SDKs, JWT, HTTP clients or servers).
- ``chalicelib/services`` knows nothing of HTTP or Lambda event shapes: no Chalice, and nothing of
  the API's edge (``routing``, ``gateway``, ``envelope``). The pydantic wire models of
  ``chalicelib.api.schemas`` are allowed: services take request bodies and return response models.

Every import statement counts, also those inside functions and ``TYPE_CHECKING`` blocks. A second
check imports the layers in a fresh interpreter and looks at what really got loaded, so that an
allowed module cannot smuggle a forbidden one in (e.g. a schema importing the envelope).
"""
from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

PROJECT_ROOT = Path(__file__).resolve().parents[1]

DOMAIN_FORBIDDEN = ("boto3", "botocore", "pg8000", "pymongo", "chalice", "anthropic", "google", "jwt",
                    "urllib.request", "http")
SERVICES_FORBIDDEN = ("chalice", "chalicelib.api.routing", "chalicelib.api.gateway", "chalicelib.api.envelope")

# Imports that break a rule on purpose: {(module path, imported name): why}. Keep it empty.
EXCEPTIONS: dict[tuple[str, str], str] = {}


def _modules(layer: str) -> list[Path]:
    return sorted((PROJECT_ROOT / "chalicelib" / layer).rglob("*.py"))


def _module_name(path: Path) -> str:
    parts = path.relative_to(PROJECT_ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imported_names(path: Path) -> list[tuple[int, str]]:
    """Every absolute module an import statement of ``path`` names (``from a import b`` gives ``a`` and
    ``a.b``: ``b`` may be a module). Relative imports stay inside the layer."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.append((node.lineno, node.module))
            found += [(node.lineno, f"{node.module}.{alias.name}") for alias in node.names]
    return found


def _matches(name: str, forbidden: tuple[str, ...]) -> str | None:
    return next((prefix for prefix in forbidden if name == prefix or name.startswith(prefix + ".")), None)


def _violations(layer: str, forbidden: tuple[str, ...]) -> list[str]:
    found = set()
    for path in _modules(layer):
        relative = str(path.relative_to(PROJECT_ROOT))
        for line, name in _imported_names(path):
            prefix = _matches(name, forbidden)
            if prefix and (relative, prefix) not in EXCEPTIONS:
                found.add(f"{relative}:{line} imports {prefix}")
    return sorted(found)


def test_the_checker_sees_imports_inside_functions_and_from_imports(tmp_path):
    source = tmp_path / "probe.py"
    source.write_text("import os\nfrom chalice import Response\n\ndef f():\n    import boto3.session\n"
                      "    from urllib import request\n")
    names = [name for _, name in _imported_names(source)]
    assert [_matches(n, DOMAIN_FORBIDDEN) for n in names if _matches(n, DOMAIN_FORBIDDEN)] == [
        "chalice", "chalice", "boto3", "urllib.request"]


def test_the_domain_imports_no_io():
    assert _violations("domain", DOMAIN_FORBIDDEN) == []


def test_services_import_nothing_of_http_or_lambda_events():
    assert _violations("services", SERVICES_FORBIDDEN) == []


def test_every_documented_exception_still_exists():
    for (relative, prefix), reason in EXCEPTIONS.items():
        assert reason, f"{relative}: an exception needs its reason"
        names = [name for _, name in _imported_names(PROJECT_ROOT / relative)]
        assert any(_matches(name, (prefix,)) for name in names), f"{relative} no longer imports {prefix}: drop it"


PROBE = r"""
import importlib, json, sys
for name in sys.argv[2:]:
    importlib.import_module(name)
forbidden = json.loads(sys.argv[1])
print(json.dumps(sorted(m for m in sys.modules if any(m == f or m.startswith(f + ".") for f in forbidden))))
"""


@pytest.mark.parametrize("layer, forbidden", [("domain", DOMAIN_FORBIDDEN), ("services", SERVICES_FORBIDDEN)])
def test_importing_the_layer_loads_nothing_forbidden(layer, forbidden):
    modules = [_module_name(path) for path in _modules(layer)]
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(forbidden), *modules], cwd=PROJECT_ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert json.loads(result.stdout) == []
