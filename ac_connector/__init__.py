"""The ActiveCampaign connector product: CLI, authentication store, HTTP service, demo.

The generic runtime is in ``engine``; ActiveCampaign knowledge is in the YAML specs.
"""

from .paths import connector_root

__all__ = ["connector_root", "load"]


def load(**options):
    """Load the connector from its bundled specs."""
    from engine.runtime import Connector

    return Connector.load(connector_root(), **options)
