"""A data key shared by the "hosts" of a test (the database: pg_store_url in tests/conftest.py)."""

from __future__ import annotations

import base64
import os

import pytest


@pytest.fixture
def data_key(monkeypatch) -> str:
    key = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("AC_CONNECTOR_SECRET_KEY", key)
    return key
