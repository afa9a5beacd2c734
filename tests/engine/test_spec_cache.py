"""The spec cache: a hit gives the same connector, and a stale, corrupt or foreign file is never trusted."""

from __future__ import annotations

import os
import pickle
import shutil
from pathlib import Path

from helpers.specs import ROOT

from engine.runtime import Connector
from engine.spec_cache import fingerprint, load_cached


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "connector"
    root.mkdir()
    shutil.copy(ROOT / "connector.yaml", root / "connector.yaml")
    shutil.copytree(ROOT / "operations", root / "operations")
    shutil.copytree(ROOT / "schemas", root / "schemas")
    return root


def _entries(cache: Path) -> list[Path]:
    return sorted(cache.glob("connector-*.pickle"))


def test_a_hit_is_the_same_connector_and_runs(tmp_path: Path, sandbox_server, sandbox, api_key: str) -> None:
    root, cache = _copy(tmp_path), tmp_path / "cache"
    first = load_cached(root, cache)
    [entry] = _entries(cache)
    assert entry.stat().st_mode & 0o777 == 0o600 and cache.stat().st_mode & 0o777 == 0o700
    second = load_cached(root, cache)
    assert second is not first and sorted(second.operations) == sorted(first.operations)
    assert second.operations["list_contacts"].input_schema == first.operations["list_contacts"].input_schema
    connector = Connector(second, allow_loopback=True)
    auth = connector.authentication({"api_url": sandbox_server.url, "api_key": api_key})
    assert connector.run("get_contact", {"contact_id": "1"}, auth)["contact"]["id"] == "1"
    assert connector.run("list_contacts", {"limit": 1}, auth)["has_more"] is True


def test_an_edited_spec_misses_the_cache(tmp_path: Path) -> None:
    root, cache = _copy(tmp_path), tmp_path / "cache"
    load_cached(root, cache)
    before = fingerprint(root)
    path = root / "operations" / "get_contact.yaml"
    path.write_text(path.read_text().replace("title: Get contact", "title: Get one contact"))
    assert fingerprint(root) != before
    assert load_cached(root, cache).operations["get_contact"].title == "Get one contact"
    assert len(_entries(cache)) == 1  # the stale entry was replaced


def test_a_corrupt_or_foreign_file_is_ignored(tmp_path: Path) -> None:
    root, cache = _copy(tmp_path), tmp_path / "cache"
    load_cached(root, cache)
    [entry] = _entries(cache)
    entry.write_bytes(b"\x80\x05not a pickle")
    assert "get_contact" in load_cached(root, cache).operations
    [entry] = _entries(cache)
    entry.write_bytes(pickle.dumps({"not": "a spec"}))
    assert "get_contact" in load_cached(root, cache).operations
    [entry] = _entries(cache)
    entry.write_bytes(pickle.dumps(os.system))  # unpickled only when this user alone could have written it
    os.chmod(entry, 0o666)
    assert "get_contact" in load_cached(root, cache).operations


def test_an_unwritable_cache_only_costs_the_load(tmp_path: Path) -> None:
    root = _copy(tmp_path)
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    assert "get_contact" in load_cached(root, blocker / "cache").operations
