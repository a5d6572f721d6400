"""What the browser tests share: Debian's Chromium, its flags, and the rule that they run in CI.

The path and flags are the concurrency benchmark's (``benchmarks/bench_concurrency.py``),
so the suite and the benchmark drive the same browser the same way.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from benchmarks.bench_concurrency import CHROMIUM, CHROMIUM_ARGS

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "IN_CI", "require_chromium"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_chromium() -> None:
    """Skip the test with the reason when Chromium is missing; under ``CI=true``, fail it."""
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"The browser test must run in CI: {reason}")
    pytest.skip(reason)
