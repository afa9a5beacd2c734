"""The offline sandbox a first-time user can try everything against.

Started in-process on a free loopback port when no authentication is stored, and offered as the
authentication "Sandbox". Its key is made up here and never leaves the process; its data lives in
memory and is gone when the service stops, so it is not written to the authentication store.
"""

from __future__ import annotations

import secrets
from typing import Any

NAME = "Sandbox"


class SandboxOffer:
    def __init__(self, sandbox: Any | None = None) -> None:
        from sandbox import Sandbox, SandboxServer

        self.sandbox = sandbox or Sandbox(api_key="sandbox-" + secrets.token_hex(16))
        self._server = SandboxServer(self.sandbox, host="127.0.0.1", port=0)
        self.name = NAME

    def start(self) -> SandboxOffer:
        self._server.start()
        return self

    @property
    def url(self) -> str:
        return self._server.url

    def fields(self) -> dict[str, str]:
        """The authentication's fields, key included: only for handing to the engine."""
        return {"api_url": self.url, "api_key": self.sandbox.api_key}

    def public(self) -> dict[str, Any]:
        return {"name": self.name, "type": "personal", "api_url": self.url, "sandbox": True}

    def stop(self) -> None:
        self._server.stop()
