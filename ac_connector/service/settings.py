"""What a running service was asked to be: where it listens and who may use it."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from engine.auth import is_loopback_host

TOKEN_ENV = "AC_CONNECTOR_TOKEN"


@dataclass(frozen=True)
class ServiceSettings:
    """host/port to bind; token required from clients when set; allow_loopback lets authentications
    point at loopback and private addresses (a developer's own sandbox)."""

    host: str = "127.0.0.1"
    port: int = 8080
    token: str | None = None
    allow_loopback: bool = False
    home: Path | None = None
    offer_sandbox: bool = True

    @classmethod
    def from_cli(
        cls, host: str, port: int, allow_loopback: bool, token: str | None, offer_sandbox: bool = True
    ) -> ServiceSettings:
        """The token comes from --token or, so that it stays out of process listings, from the environment."""
        return cls(
            host=host,
            port=port,
            allow_loopback=allow_loopback,
            token=token or os.environ.get(TOKEN_ENV) or None,
            offer_sandbox=offer_sandbox,
        )

    def check(self) -> None:
        """Refuse to listen beyond this machine without an access token."""
        if not is_loopback_host(self.host) and not self.token:
            raise ValueError(
                f"listening on {self.host} (not a loopback address) requires an access token: pass --token or set {TOKEN_ENV}"
            )
        if self.token is not None and len(self.token) < 16:
            raise ValueError("the access token must be at least 16 characters long")
