"""The ActiveCampaign connector product: CLI, authentication store, HTTP service, demo.

The generic runtime is in ``engine``; ActiveCampaign knowledge is in the YAML specs.
"""

from .paths import cache_home, connector_root

__all__ = ["connector_root", "load"]


def load(**options):
    """Load the connector from its bundled specs.

    ``AC_CONNECTOR_RATE_LIMIT`` chooses where the per-account rate limit is kept, so every worker of
    an account shares one budget: ``memory://`` (default, one process), ``file:///path/dir`` (several
    processes on one host) or ``redis://host:6379/0`` (several hosts; needs the ``redis`` extra).
    """
    import os

    from engine.runtime import Connector

    from .errors import ConfigurationError

    backend = os.environ.get("AC_CONNECTOR_RATE_LIMIT")
    if backend == "off" and "limiter" not in options:  # the sandbox with its own limit off, benchmarks
        from engine.ratelimit import NoLimit

        options["limiter"] = NoLimit()
    elif backend and "limiter" not in options and "rate_limit_backend" not in options:
        from engine.ratelimit import make_limiter

        try:  # checked on its own, so that a mistake in it is named as such
            make_limiter(backend, 1, 1.0)
        except (ValueError, OSError, RuntimeError) as exc:
            raise ConfigurationError(f"AC_CONNECTOR_RATE_LIMIT={backend[:200]!r} cannot be used: {exc}") from None
        options["rate_limit_backend"] = backend
    options.setdefault("cache_dir", cache_home())
    return Connector.load(connector_root(), **options)
