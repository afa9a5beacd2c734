"""Where the specs and the user's data live."""

from __future__ import annotations

import os
from pathlib import Path


def connector_root() -> Path:
    """The folder holding connector.yaml: bundled in the wheel, or the source checkout."""
    bundled = Path(__file__).parent / "bundle"
    if (bundled / "connector.yaml").exists():
        return bundled
    return Path(__file__).resolve().parent.parent


def data_home() -> Path:
    """``AC_CONNECTOR_HOME``, else the XDG data folder."""
    explicit = os.environ.get("AC_CONNECTOR_HOME")
    if explicit:
        return Path(explicit).expanduser()
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "ac-connector"


def cache_home() -> Path | None:
    """Where checked specs are cached: ``AC_CONNECTOR_CACHE`` (``off`` for none), else the XDG cache folder."""
    explicit = os.environ.get("AC_CONNECTOR_CACHE")
    if explicit:
        return None if explicit.lower() in ("off", "none", "0") else Path(explicit).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "ac-connector"
