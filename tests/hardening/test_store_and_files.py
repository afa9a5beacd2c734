"""Issue 18, points 5, 6, 7 and 12 (rate-limit file): the store binds a key to its URL, files and folders
are private whatever existed, concurrent writers do not race, and the rate-limit file fails closed."""

from __future__ import annotations

import json
import math
import multiprocessing
import os
import sqlite3
import stat
import struct
from pathlib import Path

import pytest

from ac_connector.cli import main
from ac_connector.store import AuthStore, StoreError
from engine.ratelimit import FileLimiter, limiter_key


@pytest.fixture
def home(tmp_path, monkeypatch):
    monkeypatch.setenv("AC_CONNECTOR_HOME", str(tmp_path / "home"))
    for name in ("AC_API_URL", "AC_API_KEY", "AC_CONNECTOR_SECRET_KEY", "AC_CONNECTOR_RATE_LIMIT"):
        monkeypatch.delenv(name, raising=False)
    return tmp_path / "home"


def cli(capsys, *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def mode(path: Path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


# -- 5. a stored key is bound to its name, type and URL ------------------------------------------------
def test_a_url_edited_in_the_database_does_not_send_the_key_elsewhere(home, capsys, sandbox_server, sandbox, attacker_server):
    code, _, err = cli(capsys, "auth", "add", "acct", "--url", sandbox_server.url, "--api-key", "bound-key-12345")
    assert code == 0, err
    with sqlite3.connect(home / "authentications.sqlite3") as db:  # someone with the file but not the data key
        db.execute("UPDATE authentications SET fields = ? WHERE name = 'acct'", (json.dumps({"api_url": attacker_server.url}),))
    code, out, err = cli(capsys, "run", "get_user", "--auth", "acct", "--input", '{"user_id": "1"}')
    error = json.loads(err)["error"]
    assert code == 1 and out == "" and error["type"] == "store"
    assert "changed outside ac-connector" in error["message"]
    assert attacker_server.requests == []


def test_the_type_is_bound_too(home):
    store = AuthStore(home)
    store.add("a", "personal", {"api_url": "https://a.api-us1.com", "api_key": "ka"})
    with store._db:
        store._db.execute("UPDATE authentications SET type = 'organisational' WHERE name = 'a'")
    with pytest.raises(StoreError, match="changed outside ac-connector"):
        store.fields("a")


def test_an_old_store_bound_to_the_name_only_is_migrated(home):
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    home.mkdir(mode=0o700)
    key = AESGCM.generate_key(bit_length=256)
    fd = os.open(home / "secret.key", os.O_WRONLY | os.O_CREAT, 0o600)
    os.write(fd, key)
    os.close(fd)
    nonce = os.urandom(12)
    blob = AESGCM(key).encrypt(nonce, json.dumps({"api_key": "old-key"}).encode(), b"old")
    with sqlite3.connect(home / "authentications.sqlite3") as db:  # the schema of the previous release
        db.execute(
            "CREATE TABLE authentications (name TEXT PRIMARY KEY, type TEXT NOT NULL, fields TEXT NOT NULL, "
            "secret_nonce BLOB NOT NULL, secret_blob BLOB NOT NULL, created REAL NOT NULL, "
            "updated REAL NOT NULL)"
        )
        db.execute(
            "INSERT INTO authentications VALUES ('old', 'personal', ?, ?, ?, 1, 1)",
            (json.dumps({"api_url": "https://old.api-us1.com"}), nonce, blob),
        )
    store = AuthStore(home)
    assert store.fields("old") == {"api_url": "https://old.api-us1.com", "api_key": "old-key"}
    with store._db:  # now bound to the URL as well
        store._db.execute(
            "UPDATE authentications SET fields = ? WHERE name = 'old'", (json.dumps({"api_url": "https://evil.example.com"}),)
        )
    with pytest.raises(StoreError, match="changed outside ac-connector"):
        store.fields("old")


# -- 6. files and folders ----------------------------------------------------------------------------
def test_existing_home_and_store_are_tightened(home):
    home.mkdir(mode=0o755)
    os.chmod(home, 0o755)
    db = home / "authentications.sqlite3"
    sqlite3.connect(db).close()
    os.chmod(db, 0o644)
    AuthStore(home).close()
    assert mode(home) == 0o700
    assert mode(db) == 0o600
    assert mode(home / "secret.key") == 0o600


def test_rate_limit_folder_is_tightened_and_never_follows_a_symlink(tmp_path):
    folder = tmp_path / "rate"
    folder.mkdir()
    os.chmod(folder, 0o777)
    victim = tmp_path / "victim.txt"
    victim.write_bytes(b"precious")
    limiter = FileLimiter(folder, requests=2, per_seconds=1.0)
    assert mode(folder) == 0o700
    key = limiter_key(("https", "acct.example.com", 443))
    (folder / f"{key}.window").symlink_to(victim)
    limiter.try_acquire(key)
    limiter.pause(key, 5)
    assert victim.read_bytes() == b"precious"


def test_a_symlinked_rate_limit_folder_is_refused(tmp_path):
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    with pytest.raises(ValueError, match="not a folder"):
        FileLimiter(tmp_path / "link")


# -- 12. the file rate limiter fails closed on a corrupted window file -----------------------------------
@pytest.mark.parametrize(
    "payload",
    [
        struct.pack("<4d", math.nan, math.nan, math.nan, math.nan),
        struct.pack("<4d", 0.0, math.inf, math.inf, math.inf),
        b"\x01\x02\x03",
    ],
    ids=["nan", "inf", "partial"],
)
def test_a_corrupted_window_file_fails_closed(tmp_path, payload):
    limiter = FileLimiter(tmp_path / "rate", requests=2, per_seconds=1.0)
    key = limiter_key(("https", "acct.example.com", 443))
    (tmp_path / "rate" / f"{key}.window").write_bytes(payload)
    waits = [limiter.try_acquire(key) for _ in range(5)]
    assert all(math.isfinite(w) for w in waits)
    assert waits[0] > 0, "a corrupted file must not let requests through unlimited"
    assert sum(1 for w in waits if w == 0) <= 2


# -- 7. concurrent writers ---------------------------------------------------------------------------
def _add_same_name(home: str, name: str, barrier, results) -> None:
    store = AuthStore(Path(home))
    barrier.wait()
    try:
        store.add(name, "personal", {"api_url": "https://acct.api-us1.com", "api_key": f"k-{os.getpid()}"})
        results.put("ok")
    except StoreError as exc:
        results.put(exc.type)
    except Exception as exc:  # anything else is the failure this test looks for
        results.put(f"unexpected {type(exc).__name__}: {exc}")


def _open_fresh(home: str, barrier, results) -> None:
    barrier.wait()
    try:
        AuthStore(Path(home)).close()
        results.put(("ok", None, Path(home, "secret.key").read_bytes()))
    except Exception as exc:
        results.put((f"unexpected {type(exc).__name__}: {exc}", None, None))


def _race(target, args_for, processes: int) -> list:
    ctx = multiprocessing.get_context("fork")
    barrier = ctx.Barrier(processes)
    results = ctx.Queue()
    workers = [ctx.Process(target=target, args=(*args_for(i), barrier, results)) for i in range(processes)]
    for w in workers:
        w.start()
    out = [results.get(timeout=60) for _ in workers]
    for w in workers:
        w.join(timeout=30)
    return out


def test_two_processes_adding_one_name_exactly_one_wins(tmp_path, monkeypatch):
    monkeypatch.delenv("AC_CONNECTOR_SECRET_KEY", raising=False)
    home = tmp_path / "home"
    AuthStore(home).close()  # the data key exists; the race is on the name
    for round_ in range(8):
        outcomes = _race(_add_same_name, lambda i, r=round_: (str(home), f"name-{r}"), 4)
        assert sorted(outcomes) == ["already_exists"] * 3 + ["ok"], outcomes


def test_parallel_first_use_creates_one_data_key(tmp_path, monkeypatch):
    monkeypatch.delenv("AC_CONNECTOR_SECRET_KEY", raising=False)
    for round_ in range(6):
        home = tmp_path / f"fresh-{round_}"
        outcomes = _race(_open_fresh, lambda i, h=home: (str(h),), 4)
        assert [o[0] for o in outcomes] == ["ok"] * 4, outcomes
        assert len({o[2] for o in outcomes}) == 1 and len(outcomes[0][2]) == 32


def test_cli_add_of_a_taken_name_is_already_exists(home, capsys):
    assert cli(capsys, "auth", "add", "x", "--url", "https://acct.api-us1.com", "--api-key", "k1")[0] == 0
    code, out, err = cli(capsys, "auth", "add", "x", "--url", "https://acct.api-us1.com", "--api-key", "k2")
    assert code == 1 and out == "" and json.loads(err)["error"]["type"] == "already_exists"
