"""What one worker process holds: the connector, the stores, and authentications by name.

Made on first use in each process (after a fork, a child makes its own: connections are never
shared across processes). Authentications are re-read from the store after a short time, so a key
changed on one host reaches every worker without a restart.
"""

from __future__ import annotations

import os
import threading
import time
from typing import Any

from engine.errors import AuthenticationMissing
from engine.ratelimit import make_limiter
from engine.retry import RetryPolicy
from engine.runtime import Connector

from ..paths import connector_root
from .settings import WorkerSettings

AUTH_CACHE_SECONDS = 30.0


class WorkerContext:
    def __init__(self, settings: WorkerSettings) -> None:
        from engine.loader import load_connector

        self.settings = settings
        spec = load_connector(connector_root())
        d = spec.defaults
        guard = {} if settings.rate_limit_guard is None else {"guard": settings.rate_limit_guard}
        limiter = make_limiter(
            settings.rate_limit_backend, settings.rate_limit_requests or d.rate_limit_requests, d.rate_limit_seconds, **guard
        )
        # max_retry_after=0: a throttled call comes straight back as RateLimited, and the task is retried by
        # Celery at the time the API named, instead of a worker thread sleeping through it.
        retry = RetryPolicy(max_attempts=d.max_attempts, deadline=settings.step_deadline or d.deadline, max_retry_after=0.0)
        self.abandoned_after = settings.abandoned_after(d.deadline)
        self.connector = Connector(spec, limiter=limiter, retry=retry, allow_loopback=settings.allow_loopback)
        self._auths: dict[str, tuple[float, Any]] = {}
        self._lock = threading.Lock()
        self._auth_store: Any = None
        self._run_store: Any = None

    @property
    def auth_store(self) -> Any:
        with self._lock:
            if self._auth_store is None:
                from ..store import AuthStore

                auth = self.connector.spec.auth
                self._auth_store = AuthStore(
                    secret_fields=auth.secret_fields, url_field=auth.url_field, url=self.settings.store_url or ""
                )
            return self._auth_store

    @property
    def run_store(self) -> Any:
        with self._lock:
            if self._run_store is None:
                from ..workflows.runs import RunStore

                self._run_store = RunStore.open(url=self.settings.store_url or "")
            return self._run_store

    def authentication(self, name: str | None) -> Any:
        """The engine Authentication for a stored name (never a key passed in a message)."""
        if not name:
            raise AuthenticationMissing("this step names no authentication")
        now = time.monotonic()
        with self._lock:
            cached = self._auths.get(name)
        if cached and now - cached[0] < AUTH_CACHE_SECONDS:
            return cached[1]
        auth = self.connector.authentication(self.auth_store.fields(name), name=name)
        with self._lock:
            self._auths[name] = (now, auth)
        return auth


_context: tuple[int, WorkerContext] | None = None
_context_lock = threading.Lock()


def worker_context() -> WorkerContext:
    """This process's context (a forked child builds its own)."""
    global _context
    with _context_lock:
        if _context is None or _context[0] != os.getpid():
            _context = (os.getpid(), WorkerContext(WorkerSettings.from_env()))
        return _context[1]
