"""The embedded PostgreSQL server (the ``pgserver`` wheel) used when ``DATABASE_URL`` is unset.

The data directory lives in the project (``.local/pgdata``, git-ignored). pgserver listens on a
unix socket only; the URL carries the socket directory as ``?host=`` (libpq convention), which
:class:`chalicelib.store.database.ConnectionParams` understands.
"""
from __future__ import annotations

import os
import warnings
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATA_DIR = PROJECT_ROOT / ".local" / "pgdata"


def start_embedded_postgres(data_dir: Path = DEFAULT_DATA_DIR):
    """Start (or attach to) the embedded server; returns the pgserver handle (``.get_uri(db)``).

    The server stops when the last handle in this process is released.
    """
    data_dir.parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("XDG_RUNTIME_DIR", str(data_dir.parent))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # pgserver warns about XDG_RUNTIME_DIR on headless boxes
        import pgserver

        return pgserver.get_server(data_dir, cleanup_mode="stop")


def database_url(server, database: str = "postgres") -> str:
    """A DATABASE_URL for ``database`` on the embedded server."""
    return server.get_uri(database)
