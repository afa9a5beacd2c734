"""Loaded specs kept on disk, keyed by their content and the engine's, so a new process skips loading.

Loading checks every spec (meta-schemas, templates, lookups, examples): right once, wasted on every
later start of a CLI command. The checked result is pickled under a key that hashes every file of the
connector folder and of the engine itself, so any edit (a spec, a shared schema, an engine upgrade)
misses the cache and loads afresh. A missing, stale, corrupt or foreign cache file is ignored; a
cache that cannot be written only costs the load.
"""

from __future__ import annotations

import hashlib
import os
import pickle
import sys
import tempfile
from pathlib import Path

from .model import ConnectorSpec

FORMAT = b"connector-spec-cache/1"
_ENGINE = Path(__file__).resolve().parent
_SPEC_FOLDERS = ("operations", "schemas")


def _files(root: Path) -> list[Path]:
    found = [root / "connector.yaml"]
    for folder in _SPEC_FOLDERS:
        found.extend(p for p in (root / folder).rglob("*") if p.is_file())
    found.extend(p for p in _ENGINE.rglob("*") if p.suffix in (".py", ".yaml") and p.is_file())
    return sorted(found)


def fingerprint(root: str | Path) -> str:
    """A hash of every spec file and engine file (names and bytes), the Python version and the root's place."""
    root = Path(root).resolve()
    digest = hashlib.blake2b(FORMAT, digest_size=20)
    digest.update(f"{sys.version_info[:2]}|{root}".encode())
    for path in _files(root):
        try:
            content = path.read_bytes()
        except OSError:
            content = b"\0unreadable"
        digest.update(f"\0{path}\0{len(content)}\0".encode())
        digest.update(content)
    return digest.hexdigest()


def _read(path: Path) -> ConnectorSpec | None:
    """The cached spec, or None when the file is absent, not ours, writable by others or unreadable."""
    try:
        with open(path, "rb") as handle:
            info = os.fstat(handle.fileno())
            if info.st_uid != os.getuid() or info.st_mode & 0o022:
                return None  # unpickling runs code: only a file this user alone could have written
            spec = pickle.load(handle)  # noqa: S301 - our own file, checked above
    except Exception:  # corrupt, truncated, from an older engine: load afresh
        return None
    return spec if isinstance(spec, ConnectorSpec) else None


def _write(path: Path, spec: ConnectorSpec) -> None:
    """Write atomically (a temporary file renamed into place), mode 0600 in a 0700 folder; best effort."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".spec-", suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(spec, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        place = path.name.rsplit("-", 1)[0]
        for old in path.parent.glob(f"{place}-*.pickle"):
            if old != path:
                old.unlink(missing_ok=True)  # one entry per connector folder is enough
    except Exception:  # a read-only or full disk: the next start loads again
        return


def load_cached(root: str | Path, cache_dir: str | Path | None) -> ConnectorSpec:
    """``load_connector(root)``, through a cache in ``cache_dir`` (None: no cache)."""
    if cache_dir is None:
        return _load(root)
    place = hashlib.blake2b(str(Path(root).resolve()).encode(), digest_size=6).hexdigest()
    path = Path(cache_dir) / f"connector-{place}-{fingerprint(root)}.pickle"
    spec = _read(path)
    if spec is None:
        spec = _load(root)
        _write(path, spec)
    return spec


def _load(root: str | Path) -> ConnectorSpec:
    from .loader import load_connector  # imported only on a miss: it brings jsonschema and every check

    return load_connector(root)
