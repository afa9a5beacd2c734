"""The PostgreSQL store against a real server: same encryption, versioned migrations, concurrent hosts."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from ac_connector.backends.pg import MIGRATIONS, StoreUnavailable
from ac_connector.errors import ConfigurationError
from ac_connector.store import AuthStore, StoreError
from engine.errors import ValidationError

HERE = Path(__file__).parent
ROOT = HERE.parents[1]


def _raw_rows(url: str) -> list[tuple]:
    import psycopg

    with psycopg.connect(url) as conn:
        return conn.execute("SELECT * FROM authentications").fetchall()


def test_authentications_round_trip_sealed(pg_store_url, data_key, tmp_path):
    store = AuthStore(tmp_path / "host-a", url=pg_store_url)
    store.add("org", "organisational", {"api_url": "https://acct.api-us1.com", "api_key": "very-secret-value-123"})
    assert "very-secret-value-123" not in repr(_raw_rows(pg_store_url))
    other_host = AuthStore(tmp_path / "host-b", url=pg_store_url)
    assert [a.name for a in other_host.list()] == ["org"]
    assert other_host.fields("org") == {"api_url": "https://acct.api-us1.com", "api_key": "very-secret-value-123"}
    with pytest.raises(ValidationError):
        other_host.update("org", {"api_url": "https://evil.example.com"})
    store.update("org", {"api_url": "https://other.api-us1.com", "api_key": "k2"})
    assert other_host.fields("org")["api_key"] == "k2"
    created = other_host.get("org").created
    assert created <= other_host.get("org").updated
    with pytest.raises(StoreError, match="exists already"):
        other_host.add("org", "personal", {"api_url": "https://x.api-us1.com", "api_key": "k"})
    other_host.remove("org")
    assert store.list() == []
    with pytest.raises(StoreError, match="no authentication"):
        store.remove("org")
    assert not (tmp_path / "host-a" / "authentications.sqlite3").exists()


def test_a_ciphertext_cannot_move_to_another_name(pg_store_url, data_key, tmp_path):
    import psycopg

    store = AuthStore(tmp_path, url=pg_store_url)
    store.add("a", "personal", {"api_url": "https://a.api-us1.com", "api_key": "ka"})
    store.add("b", "personal", {"api_url": "https://b.api-us1.com", "api_key": "kb"})
    with psycopg.connect(pg_store_url) as conn:
        conn.execute(
            "UPDATE authentications SET (secret_nonce, secret_blob) = "
            "(SELECT secret_nonce, secret_blob FROM authentications WHERE name = 'a') WHERE name = 'b'"
        )
    with pytest.raises(StoreError, match="cannot be decrypted"):
        store.fields("b")


def test_the_data_key_never_enters_the_database(pg_store_url, data_key, tmp_path):
    import psycopg

    AuthStore(tmp_path, url=pg_store_url).add("a", "personal", {"api_url": "https://a.api-us1.com", "api_key": "k"})
    key = base64.b64decode(data_key)
    with psycopg.connect(pg_store_url) as conn:
        dump = b"".join(
            bytes(v) if isinstance(v, (bytes, memoryview)) else repr(v).encode()
            for table in ("authentications", "store_meta", "schema_migrations")
            for row in conn.execute(f"SELECT * FROM {table}").fetchall()
            for v in row
        )
    assert key not in dump and data_key.encode() not in dump


def test_a_host_with_another_key_is_refused(pg_store_url, data_key, tmp_path, monkeypatch):
    AuthStore(tmp_path / "a", url=pg_store_url).add("a", "personal", {"api_url": "https://a.api-us1.com", "api_key": "k"})
    monkeypatch.setenv("AC_CONNECTOR_SECRET_KEY", base64.b64encode(os.urandom(32)).decode())
    with pytest.raises(StoreError, match="another data key"):
        AuthStore(tmp_path / "b", url=pg_store_url)


def test_a_host_without_a_key_does_not_invent_one(pg_store_url, tmp_path, monkeypatch):
    monkeypatch.delenv("AC_CONNECTOR_SECRET_KEY", raising=False)
    with pytest.raises(StoreError, match="needs the data key on every host"):
        AuthStore(tmp_path, url=pg_store_url)
    assert not (tmp_path / "secret.key").exists()
    key_file = tmp_path / "secret.key"
    key_file.write_bytes(os.urandom(32))
    key_file.chmod(0o600)
    AuthStore(tmp_path, url=pg_store_url).add("a", "personal", {"api_url": "https://a.api-us1.com", "api_key": "k"})


def test_migrations_are_versioned_and_applied_once(pg_store_url, data_key, tmp_path):
    import psycopg

    for host in ("a", "b"):
        AuthStore(tmp_path / host, url=pg_store_url).close()
    with psycopg.connect(pg_store_url) as conn:
        versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
    assert versions == sorted(m.version for m in MIGRATIONS)
    assert len(versions) == len(set(versions))


def test_an_unreachable_store_is_a_typed_error_without_the_password(data_key, tmp_path):
    from tests.helpers.servers import free_port

    url = f"postgresql://app:hunter2-secret@127.0.0.1:{free_port()}/ac"
    with pytest.raises(StoreUnavailable) as info:
        AuthStore(tmp_path, url=url)
    assert "hunter2-secret" not in str(info.value) and "***" in str(info.value)
    assert info.value.to_dict()["retryable"] is True


def test_an_unknown_store_scheme_is_refused(data_key, tmp_path):
    with pytest.raises(ConfigurationError, match="AC_CONNECTOR_STORE") as info:
        AuthStore(tmp_path, url="mysql://x:pw-secret@h/db")
    assert "pw-secret" not in str(info.value) and info.value.type == "configuration"


def test_four_hosts_adding_at_once_cannot_corrupt_the_store(pg_store_url, data_key, tmp_path):
    """Real processes, each its own home: every own name lands once, each shared name has exactly one winner."""
    hosts, count = 4, 25
    AuthStore(tmp_path / "setup", url=pg_store_url).close()  # migrations done, so the race is on the rows
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.store.concurrent_adder", pg_store_url, f"h{h}", str(count)],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for h in range(hosts)
    ]
    results = []
    for p in procs:
        out, err = p.communicate(timeout=120)
        assert p.returncode == 0, err
        results.append(json.loads(out))
    assert sum(r["won"] for r in results) == count
    store = AuthStore(tmp_path / "check", url=pg_store_url)
    names = [a.name for a in store.list()]
    assert len(names) == hosts * count + count == len(set(names))
    for h in range(hosts):
        for i in range(count):
            assert store.fields(f"h{h}-{i}")["api_key"] == f"key-h{h}-{i}"
    for i in range(count):
        assert store.fields(f"shared-{i}")["api_key"] in {f"key-h{h}" for h in range(hosts)}


def test_concurrent_first_start_migrates_once(postgres_url, data_key, tmp_path):
    """Hosts starting together on an empty database: every migration is applied by exactly one of them."""
    import secrets

    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    url = postgres_url.rsplit("/", 1)[0] + "/" + name
    try:
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        procs = [
            subprocess.Popen(
                [sys.executable, "-m", "tests.store.concurrent_adder", url, f"m{h}", "1"],
                cwd=ROOT,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
            for h in range(4)
        ]
        for p in procs:
            _, err = p.communicate(timeout=120)
            assert p.returncode == 0, err
        with psycopg.connect(url) as conn:
            versions = [r[0] for r in conn.execute("SELECT version FROM schema_migrations ORDER BY version")]
        assert versions == sorted(m.version for m in MIGRATIONS)
    finally:
        with psycopg.connect(postgres_url, autocommit=True) as conn:
            conn.execute(f"DROP DATABASE {name} WITH (FORCE)")
