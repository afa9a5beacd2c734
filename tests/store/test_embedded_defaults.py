"""Without Celery, Redis or PostgreSQL installed, the README's commands keep their embedded defaults."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

# A process in which the optional libraries cannot be imported, as on an install without the extras.
BLOCK = """
import sys
class _Absent:
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in {"celery", "kombu", "psycopg", "psycopg_binary", "redis", "limits"}:
            raise ModuleNotFoundError(f"No module named {name!r} (blocked by the test)")
        return None
sys.meta_path.insert(0, _Absent())
"""


def _run(code: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AC_CONNECTOR_")}
    env.update(AC_CONNECTOR_HOME=str(tmp_path / "home"), PYTHONPATH=str(ROOT))
    return subprocess.run(
        [sys.executable, "-c", BLOCK + code], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120
    )


def test_the_demo_runs_without_the_extras(tmp_path):
    done = _run("from ac_connector.cli import main; sys.exit(main(['demo']))", tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    assert "Demo finished" in done.stdout


def test_store_and_run_store_default_to_sqlite_without_the_extras(tmp_path):
    code = """
from ac_connector.store import AuthStore
from ac_connector.workflows import RunStore
store = AuthStore()
store.add("a", "personal", {"api_url": "https://a.api-us1.com", "api_key": "k"})
runs = RunStore.open()
print(store.location, type(runs.backend).__name__, store.fields("a")["api_key"])
"""
    done = _run(code, tmp_path)
    assert done.returncode == 0, done.stderr[-2000:]
    location, backend, key = done.stdout.split()
    assert location == str(tmp_path / "home" / "authentications.sqlite3") and backend == "SqliteBackend" and key == "k"


def test_a_postgresql_store_without_the_extra_says_what_to_install(tmp_path):
    code = """
import base64, os
os.environ["AC_CONNECTOR_SECRET_KEY"] = base64.b64encode(os.urandom(32)).decode()
from ac_connector.cli import main
sys.exit(main(["auth", "list"]))
"""
    env_code = "import os; os.environ['AC_CONNECTOR_STORE'] = 'postgresql://ac:pw-secret@127.0.0.1:9/ac'\n" + code
    done = _run(env_code, tmp_path)
    assert done.returncode != 0 and "Traceback" not in done.stderr
    assert "ac-connector[celery]" in done.stderr and "pw-secret" not in done.stderr
