"""Start the dashboard with its warm-up: ``python -m dashboard.serve [streamlit run options]``.

The same as ``streamlit run app.py [options]``, but the warm-up
(:mod:`dashboard.warmup`) starts with the server, in its process, before any
visitor arrives: the first visitor then finds the data and the page modules
loaded, as every later visitor does.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"


def main(argv: Sequence[str] | None = None) -> None:
    """Start the warm-up thread, then the Streamlit server on ``app.py`` (does not return)."""
    from streamlit.web import cli

    from dashboard.warmup import start_warm_up

    start_warm_up()
    sys.argv = ["streamlit", "run", str(APP), *(sys.argv[1:] if argv is None else argv)]
    cli.main()


if __name__ == "__main__":
    main()
