"""Worker settings come from the environment only; a Redis broker brings the shared Redis budget with it."""

from __future__ import annotations

import pytest

from ac_connector.distributed.settings import DEFAULT_BROKER, WorkerSettings


def test_a_redis_broker_is_also_the_rate_limit_and_result_backend():
    s = WorkerSettings.from_env({"AC_CONNECTOR_BROKER_URL": "redis://:pw-secret@redis:6379/2"})
    assert s.rate_limit_backend == s.result_backend == "redis://:pw-secret@redis:6379/2"
    assert s.store_url is None and not s.allow_loopback
    described = str(s.describe())
    assert "pw-secret" not in described and "redis://:***@redis:6379/2" in described
    config = s.celery_config()
    assert config["task_acks_late"] and config["task_reject_on_worker_lost"] and config["worker_prefetch_multiplier"] == 1
    assert config["accept_content"] == ["json"]  # never pickle: messages are data


def test_other_brokers_keep_a_local_budget_unless_told():
    s = WorkerSettings.from_env({"CELERY_BROKER_URL": "amqp://guest@rabbit//"})
    assert s.rate_limit_backend is None and s.result_backend is None
    s = WorkerSettings.from_env(
        {
            "CELERY_BROKER_URL": "amqp://guest@rabbit//",
            "AC_CONNECTOR_RATE_LIMIT": "redis://limits:6379/0",
            "AC_CONNECTOR_STORE": "postgresql://ac@db/ac",
            "AC_CONNECTOR_VISIBILITY_TIMEOUT": "90",
            "AC_CONNECTOR_ALLOW_LOOPBACK": "1",
            "AC_CONNECTOR_RATE_LIMIT_REQUESTS": "3",
            "AC_CONNECTOR_STEP_DEADLINE": "20",
            "AC_CONNECTOR_RECOVER_AFTER": "0",
            "AC_CONNECTOR_RATE_LIMIT_GUARD": "0.2",
        }
    )
    assert (s.rate_limit_backend, s.store_url, s.visibility_timeout, s.allow_loopback, s.rate_limit_requests) == (
        "redis://limits:6379/0",
        "postgresql://ac@db/ac",
        90.0,
        True,
        3,
    )
    assert (s.step_deadline, s.recover_after, s.rate_limit_guard, s.abandoned_after(120)) == (20.0, 0.0, 0.2, 30.0)
    assert s.celery_config()["broker_transport_options"]["visibility_timeout"] == 90.0


def test_defaults_and_bad_values():
    s = WorkerSettings.from_env({})
    assert s.broker_url == DEFAULT_BROKER and s.rate_limit_backend == DEFAULT_BROKER
    assert WorkerSettings.from_env({"AC_CONNECTOR_STORE": "sqlite:"}).store_url is None
    assert s.abandoned_after(120) == 130 and s.recover_after == 900
    with pytest.raises(ValueError, match="VISIBILITY_TIMEOUT"):
        WorkerSettings.from_env({"AC_CONNECTOR_VISIBILITY_TIMEOUT": "0"})
    with pytest.raises(ValueError, match="STEP_DEADLINE"):
        WorkerSettings.from_env({"AC_CONNECTOR_STEP_DEADLINE": "-1"})
    with pytest.raises(ValueError, match="GUARD"):
        WorkerSettings.from_env({"AC_CONNECTOR_RATE_LIMIT_GUARD": "5"})
