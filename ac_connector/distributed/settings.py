"""How a worker host is configured: environment variables only, so every host of a fleet reads the same."""

from __future__ import annotations

import os
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from ..backends import redact_url, store_url

DEFAULT_BROKER = "redis://127.0.0.1:6379/0"
DEFAULT_VISIBILITY_TIMEOUT = 600.0
DEFAULT_RECOVER_AFTER = 900.0
ABANDON_MARGIN = 10.0  # past its call deadline, no live worker is still in a step


def _is_redis(url: str | None) -> bool:
    return bool(url) and urllib.parse.urlsplit(url).scheme in ("redis", "rediss")


@dataclass(frozen=True)
class WorkerSettings:
    broker_url: str
    result_backend: str | None
    rate_limit_backend: str | None
    rate_limit_requests: int | None
    store_url: str | None
    visibility_timeout: float
    allow_loopback: bool
    step_deadline: float | None = None  # seconds per call (None: connector.yaml's deadline)
    rate_limit_guard: float | None = None  # seconds added to each account's window (None: the engine's 50 ms)
    recover_after: float = DEFAULT_RECOVER_AFTER  # 0: no recovery sweep in this worker

    def abandoned_after(self, default_deadline: float) -> float:
        """Seconds after which a step recorded running was surely left behind by a dead worker."""
        return (self.step_deadline or default_deadline) + ABANDON_MARGIN

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> WorkerSettings:
        """``AC_CONNECTOR_BROKER_URL`` (or ``CELERY_BROKER_URL``; default a local Redis),
        ``AC_CONNECTOR_RESULT_BACKEND`` (default: the broker when it is Redis), ``AC_CONNECTOR_RATE_LIMIT``
        (default: the broker when it is Redis, so every host shares one budget per account),
        ``AC_CONNECTOR_RATE_LIMIT_REQUESTS`` (per account per second; default from connector.yaml),
        ``AC_CONNECTOR_RATE_LIMIT_GUARD`` (seconds added to the window: room for the time between taking a
        slot and the request's arrival, longer on busy or distant hosts),
        ``AC_CONNECTOR_STORE`` (default: SQLite in ``AC_CONNECTOR_HOME``), ``AC_CONNECTOR_VISIBILITY_TIMEOUT``
        (seconds before a dead worker's unacknowledged step goes to another worker),
        ``AC_CONNECTOR_STEP_DEADLINE`` (seconds per call, retries included), ``AC_CONNECTOR_RECOVER_AFTER``
        (seconds without progress after which a run's next step is sent again; 0 turns the sweep off) and
        ``AC_CONNECTOR_ALLOW_LOOPBACK=1`` (accept http to loopback: the sandbox)."""
        env = os.environ if env is None else env
        broker = env.get("AC_CONNECTOR_BROKER_URL") or env.get("CELERY_BROKER_URL") or DEFAULT_BROKER
        results = env.get("AC_CONNECTOR_RESULT_BACKEND") or env.get("CELERY_RESULT_BACKEND")
        if results is None and _is_redis(broker):
            results = broker
        rate = env.get("AC_CONNECTOR_RATE_LIMIT") or (broker if _is_redis(broker) else None)
        requests = env.get("AC_CONNECTOR_RATE_LIMIT_REQUESTS")
        timeout = float(env.get("AC_CONNECTOR_VISIBILITY_TIMEOUT") or DEFAULT_VISIBILITY_TIMEOUT)
        if timeout <= 0:
            raise ValueError("AC_CONNECTOR_VISIBILITY_TIMEOUT must be a positive number of seconds")
        deadline = float(env["AC_CONNECTOR_STEP_DEADLINE"]) if env.get("AC_CONNECTOR_STEP_DEADLINE") else None
        if deadline is not None and deadline <= 0:
            raise ValueError("AC_CONNECTOR_STEP_DEADLINE must be a positive number of seconds")
        recover = float(env.get("AC_CONNECTOR_RECOVER_AFTER") or DEFAULT_RECOVER_AFTER)
        guard = float(env["AC_CONNECTOR_RATE_LIMIT_GUARD"]) if env.get("AC_CONNECTOR_RATE_LIMIT_GUARD") else None
        if guard is not None and not 0 <= guard < 1:
            raise ValueError("AC_CONNECTOR_RATE_LIMIT_GUARD must be seconds between 0 and 1")
        return cls(
            broker_url=broker,
            result_backend=results or None,
            rate_limit_backend=rate,
            rate_limit_requests=int(requests) if requests else None,
            store_url=store_url(env.get("AC_CONNECTOR_STORE", "")),
            visibility_timeout=timeout,
            allow_loopback=env.get("AC_CONNECTOR_ALLOW_LOOPBACK", "") in ("1", "true", "yes"),
            step_deadline=deadline,
            recover_after=max(recover, 0.0),
            rate_limit_guard=guard,
        )

    def celery_config(self) -> dict[str, Any]:
        """Celery settings: late acknowledgement everywhere (the run store decides what may run again),
        one message reserved at a time, JSON only (never pickle: messages are data)."""
        return {
            "broker_url": self.broker_url,
            "result_backend": self.result_backend,
            # A dead worker's unacknowledged messages return after visibility_timeout; sweep for them often
            # enough that they do (kombu otherwise scans every 10 x 10 s).
            "broker_transport_options": {
                "visibility_timeout": self.visibility_timeout,
                "unacked_restore_interval": max(1, min(10, int(self.visibility_timeout / 3))),
                "unacked_restore_throttle": 1,
            },
            "result_backend_transport_options": {"visibility_timeout": self.visibility_timeout},
            "broker_connection_retry_on_startup": True,
            "task_serializer": "json",
            "result_serializer": "json",
            "accept_content": ["json"],
            "task_acks_late": True,
            "task_reject_on_worker_lost": True,
            "worker_prefetch_multiplier": 1,
            "task_default_queue": "ac-connector",
            "result_expires": 24 * 3600,
            "worker_hijack_root_logger": False,
            "worker_redirect_stdouts": False,
        }

    def describe(self) -> dict[str, Any]:
        """What a worker prints at start: every URL without its password."""
        return {
            "broker": redact_url(self.broker_url),
            "result_backend": redact_url(self.result_backend) if self.result_backend else None,
            "rate_limit": redact_url(self.rate_limit_backend) if self.rate_limit_backend else "memory://",
            "store": redact_url(self.store_url) if self.store_url else "sqlite (AC_CONNECTOR_HOME)",
            "visibility_timeout": self.visibility_timeout,
            "step_deadline": self.step_deadline,
            "recover_after": self.recover_after,
        }
