"""``ac-connector serve``: the connector's verbs over JSON HTTP, and the workflow builder page.

One module per job: settings, access (token, host and origin checks), errors (typed error -> HTTP status),
urlguard (no authentication may point into the private network), offer (the offline sandbox),
registry (stored authentications), openapi (the API's description, also used to validate requests),
routes (the handlers), app (assembly) and server (binding and running).
"""
