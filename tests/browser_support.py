"""What the browser tests share: Debian's Chromium, its flags, and the rule that they run in CI.

The path and flags are the concurrency benchmark's (``benchmarks/bench_concurrency.py``),
so the suite and the benchmark drive the same browser the same way.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from benchmarks.bench_concurrency import CHOOSE_ATTEMPTS, CHROMIUM, CHROMIUM_ARGS, choose_wait_ms

__all__ = ["CHROMIUM", "CHROMIUM_ARGS", "IN_CI", "choose", "require_chromium"]

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_chromium() -> None:
    """Skip the test with the reason when Chromium is missing; under ``CI=true``, fail it."""
    if Path(CHROMIUM).exists():
        return
    reason = f"{CHROMIUM} is not installed (apt-get install chromium)"
    if IN_CI:
        pytest.fail(f"The browser test must run in CI: {reason}")
    pytest.skip(reason)


def choose(page: Any, box: Any, option: str) -> None:
    """Pick ``option`` in a Streamlit multiselect or select ``box`` (Playwright, sync API).

    As the concurrency benchmark's ``_choose``: type the option's name into the box
    (which opens its list, filtered), wait for the option (longer on each try, a bounded
    number of tries) and click it; Escape closes the list at the end.
    """
    wanted = page.get_by_role("option", name=option, exact=True)
    field = box.locator("input")
    for attempt in range(CHOOSE_ATTEMPTS):
        try:
            field.click(timeout=5_000)
            field.fill(option, timeout=5_000)
            wanted.wait_for(state="visible", timeout=choose_wait_ms(attempt))
            wanted.click(timeout=5_000)
            break
        except Exception:  # noqa: BLE001 - the list did not show, or closed under us: again
            if attempt == CHOOSE_ATTEMPTS - 1:
                raise
    page.keyboard.press("Escape")
