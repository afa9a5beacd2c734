"""Enable and disable a workflow's trigger: register the ActiveCampaign webhook pointing at
``{public_url}/hooks/{trigger id}/{secret}``, or remember a poll trigger; remove it on disable.

ActiveCampaign signs nothing, so the unguessable secret in the path is what proves a delivery comes from
the webhook we registered. Only its SHA-256 is stored. Enabling again keeps the trigger id and the
webhook (updated in place with a fresh secret and the current settings): never a second webhook; strays
pointing at the same trigger id (e.g. left by a crash between create and save) are removed.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from engine.errors import NotFound, ValidationError

from .store import TriggerRecord, TriggerStore, secret_hash

HOOK_PREFIX = "/hooks/"


def hook_path(trigger_id: str, secret: str) -> str:
    return f"{HOOK_PREFIX}{trigger_id}/{secret}"


def _public_url(url: str | None) -> str:
    parts = urlsplit(url or "")
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValidationError(
            [
                {
                    "pointer": "/public_url",
                    "keyword": "format",
                    "message": "give the service's public base URL, e.g. https://hooks.example.com",
                }
            ]
        )
    return url.rstrip("/")


def _webhook_input(workflow: Any, url: str) -> dict[str, Any]:
    trigger = workflow.trigger
    data = {
        "name": f"ac-connector: {workflow.name}"[:255],
        "url": url,
        "events": list(trigger["events"]),
        "sources": list(trigger.get("sources") or ["public", "admin", "api", "system"]),
    }
    if trigger.get("list_id"):
        data["list_id"] = str(trigger["list_id"])
    return data


def _hooks_for(connector: Any, auth: Any, trigger_id: str) -> list[dict[str, Any]]:
    found = connector.run("list_webhooks", {"url": f"{HOOK_PREFIX}{trigger_id}/", "return_all": True}, auth)
    return [h for h in found["webhooks"] if f"{HOOK_PREFIX}{trigger_id}/" in h["url"]]


def enable(
    connector: Any, triggers: TriggerStore, workflow: Any, *, authentications: Any, public_url: str | None = None
) -> dict[str, Any]:
    """Enable ``workflow``'s webhook or poll trigger; what was done (never the secret)."""
    kind = workflow.trigger.get("type")
    if kind not in ("webhook", "poll"):
        raise ValidationError(
            [{"pointer": "/trigger/type", "keyword": "enum", "message": "only a webhook or poll trigger can be enabled"}]
        )
    existing = triggers.trigger_for(workflow.name)
    trigger_id = existing.id if existing else secrets.token_hex(12)
    record = TriggerRecord(trigger_id, workflow.name, kind, workflow.document, None, None, None, time.time())
    if kind == "poll":
        if existing and existing.webhook_id:
            _remove_hooks(connector, authentications(existing.workflow["trigger"].get("authentication")), existing)
        triggers.save_trigger(record)
        return {"trigger_id": trigger_id, "kind": kind, "workflow": workflow.name}

    base = _public_url(public_url)
    auth = authentications(workflow.trigger.get("authentication"))
    secret = secrets.token_urlsafe(32)
    url = base + hook_path(trigger_id, secret)
    hooks = _hooks_for(connector, auth, trigger_id)
    keep = next((h for h in hooks if existing and h["id"] == existing.webhook_id), hooks[0] if hooks else None)
    for stray in hooks:
        if stray is not keep:
            _delete_hook(connector, auth, stray["id"])
    data = _webhook_input(workflow, url)
    if keep is None:
        webhook = connector.run("create_webhook", data, auth)["webhook"]
    else:
        webhook = connector.run("update_webhook", {"webhook_id": keep["id"], **data}, auth)["webhook"]
    record.secret_hash, record.webhook_id, record.public_url = secret_hash(secret), webhook["id"], base
    triggers.save_trigger(record)
    return {
        "trigger_id": trigger_id,
        "kind": kind,
        "workflow": workflow.name,
        "webhook_id": webhook["id"],
        "url": base + hook_path(trigger_id, "***"),
        "created": keep is None,
    }


def disable(connector: Any, triggers: TriggerStore, workflow_name: str, *, authentications: Any) -> dict[str, Any]:
    """Remove the trigger (and its webhook); disabling what is not enabled is a no-op."""
    existing = triggers.trigger_for(workflow_name)
    if existing is None:
        return {"workflow": workflow_name, "disabled": False}
    removed: list[str] = []
    if existing.kind == "webhook":
        removed = _remove_hooks(connector, authentications(existing.workflow["trigger"].get("authentication")), existing)
    triggers.delete_trigger(existing.id)
    return {"workflow": workflow_name, "disabled": True, "trigger_id": existing.id, "webhooks_removed": removed}


def _remove_hooks(connector: Any, auth: Any, record: TriggerRecord) -> list[str]:
    ids = {h["id"] for h in _hooks_for(connector, auth, record.id)}
    if record.webhook_id:
        ids.add(record.webhook_id)
    for webhook_id in sorted(ids):
        _delete_hook(connector, auth, webhook_id)
    return sorted(ids)


def _delete_hook(connector: Any, auth: Any, webhook_id: str) -> None:
    with contextlib.suppress(NotFound):  # already gone: that is what we wanted
        connector.run("delete_webhook", {"webhook_id": webhook_id}, auth)
