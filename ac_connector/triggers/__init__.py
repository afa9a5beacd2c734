"""Triggers: start a workflow when something happens in ActiveCampaign (webhooks) or appears in it (polling).

Above the engine: webhook registrations are operations run through the Connector, deliveries are read
by ``unflatten``, events are recorded once in the run store (``store``) and start one run each
(``dispatch``); pollers keep cursors beside them. The events table is data (events.yaml, polls.yaml).
"""

from .catalog import webhook_events, webhook_output_schema
from .polling import Poller, poll_output_schema, poll_specs
from .registration import disable, enable
from .store import DEDUPE_WINDOW, TriggerStore

__all__ = [
    "DEDUPE_WINDOW",
    "Poller",
    "TriggerStore",
    "disable",
    "enable",
    "poll_output_schema",
    "poll_specs",
    "webhook_events",
    "webhook_output_schema",
]
