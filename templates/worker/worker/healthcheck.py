"""Healthy when the worker's last run is at most two intervals old."""

import os
import sys
import time

INTERVAL = int(os.environ.get("INTERVAL_SECONDS", "300"))

try:
    with open("/tmp/heartbeat") as f:
        age = time.time() - float(f.read())
except (OSError, ValueError):
    sys.exit(1)
sys.exit(0 if age <= 2 * INTERVAL else 1)
