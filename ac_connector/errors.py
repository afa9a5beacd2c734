"""Errors of the product around the engine: its configuration, its files."""

from __future__ import annotations

from engine.errors import ConnectorError


class ConfigurationError(ConnectorError):
    """Something the user set up cannot be used (an environment variable, the home folder, the store file).

    The command line exits with 2 for it, as for invalid input: the user has to change something.
    """

    type = "configuration"
