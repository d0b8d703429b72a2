"""{{name}}'s worker: runs task() now and then every INTERVAL_SECONDS, until stopped."""

import os
import signal
import time
from datetime import datetime, timezone

INTERVAL = int(os.environ.get("INTERVAL_SECONDS", "300"))
HEARTBEAT = "/tmp/heartbeat"


def task():
    # Your job goes here: fetch data, process files, send a report...
    print(f"{datetime.now(timezone.utc).isoformat()} task ran", flush=True)


def main():
    # `spin stop` sends SIGTERM: finish cleanly instead of waiting to be killed.
    signal.signal(signal.SIGTERM, lambda *_: exit(0))
    while True:
        task()
        with open(HEARTBEAT, "w") as f:
            f.write(str(time.time()))
        time.sleep(INTERVAL)


if __name__ == "__main__":
    main()
