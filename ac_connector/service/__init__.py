"""``ac-connector serve``: the connector's verbs over JSON HTTP, and the workflow builder page.

One module per job: settings, access (token, host and origin checks), errors (typed error -> HTTP status),
offer (the offline sandbox), registry (stored authentications), openapi (the API's description, also used
to validate requests), routes (the handlers), app (assembly, and the URL policy: no authentication may
point into the private network) and server (binding and running).
"""
