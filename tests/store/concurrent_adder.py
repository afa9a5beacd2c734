"""One "host": adds its own authentications and races the others for one shared name (run as a process)."""

from __future__ import annotations

import json
import sys
import tempfile

from ac_connector.store import AuthStore, StoreError


def main(url: str, host: str, count: int) -> None:
    store = AuthStore(tempfile.mkdtemp(prefix=f"host-{host}-"), url=url)
    won = 0
    for i in range(count):
        store.add(f"{host}-{i}", "personal", {"api_url": f"https://{host}{i}.api-us1.com", "api_key": f"key-{host}-{i}"})
        try:
            store.add(f"shared-{i}", "personal", {"api_url": "https://shared.api-us1.com", "api_key": f"key-{host}"})
            won += 1
        except StoreError:
            pass
    store.close()
    print(json.dumps({"host": host, "won": won}))


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]))
