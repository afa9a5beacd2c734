"""A fresh PostgreSQL database per test on the session's real server, and a data key shared by the "hosts"."""

from __future__ import annotations

import base64
import os
import secrets

import pytest


@pytest.fixture
def pg_store_url(postgres_url):
    import psycopg

    name = f"t_{secrets.token_hex(6)}"
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name}")
    yield postgres_url.rsplit("/", 1)[0] + "/" + name
    with psycopg.connect(postgres_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


@pytest.fixture
def data_key(monkeypatch) -> str:
    key = base64.b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("AC_CONNECTOR_SECRET_KEY", key)
    return key
