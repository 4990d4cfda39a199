"""Where the licensed real-data set is (``realdata/`` of the shared folder; see its README).

``$TEST_REALDATA`` when set, else ``../shared/realdata`` beside the checkout. Tests that need
it skip when it is absent (a clone elsewhere); ``scripts/test.sh`` points a clone on the
office's machine at the shared copy.
"""

from __future__ import annotations

import os
from pathlib import Path

PROJECT = Path(__file__).resolve().parent.parent
REALDATA = Path(os.environ.get("TEST_REALDATA") or PROJECT.parent / "shared" / "realdata")
