"""Running the connector on many hosts: settings from the environment and per-process resources.

The Celery app itself is ``ac_connector.celery`` (the optional extra ``ac-connector[celery]``);
nothing here imports Celery, so the settings can be read and tested without it.
"""
