"""The workflow builder page: plain HTML, CSS and JavaScript served by ``ac-connector serve``.

Every asset is in ``static/`` and ships in the wheel; nothing is fetched from elsewhere.
"""

from pathlib import Path

STATIC_DIR = Path(__file__).parent / "static"
