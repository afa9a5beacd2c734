"""One module per resource family; each exposes `register(router)`.

To change a family, edit its module only: the dispatcher just collects the routes here.
"""

from __future__ import annotations

from ..router import Router


def build_router() -> Router:
    from . import (
        accounts,
        automations,
        campaigns,
        contacts,
        deal_fields,
        deals,
        fields,
        imports,
        lists,
        messages,
        notes,
        pipelines,
        tags,
        tasks,
        users,
        webhooks,
    )

    router = Router()
    for module in (
        contacts,
        lists,
        users,
        automations,
        fields,
        deals,
        pipelines,
        notes,
        tasks,
        messages,
        campaigns,
        tags,
        accounts,
        webhooks,
        imports,
        deal_fields,
    ):
        module.register(router)
    return router
