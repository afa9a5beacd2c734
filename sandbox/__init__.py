"""A faithful, in-memory ActiveCampaign API v3 sandbox (standard library only).

    from sandbox import Sandbox, SandboxServer, RecordingServer
    sb = Sandbox(api_key="test-key")
    with SandboxServer(sb) as server:
        ...  # point a client at server.url (the API root is server.url + "/api/3")

It stands in for ActiveCampaign, so it imports nothing from engine/, operations/, schemas/ or
ac_connector/. See sandbox/README.md for the seeded data, faults and fidelity decisions.
"""

from .account import Sandbox
from .faults import Fault
from .log import LoggedRequest
from .recording import RecordedRequest, RecordingServer
from .server import SandboxServer

__all__ = ["Sandbox", "SandboxServer", "RecordingServer", "RecordedRequest", "LoggedRequest", "Fault"]
