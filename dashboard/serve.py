"""Start the dashboard with its warm-up: ``python -m dashboard.serve [streamlit run options]``.

The same as ``streamlit run app.py [options]``, but the warm-up
(:mod:`dashboard.warmup`) starts with the server, in its process, before any
visitor arrives: the first visitor then finds the data and the page modules
loaded, as every later visitor does.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

APP = Path(__file__).resolve().parent.parent / "app.py"
ADDRESS_VARIABLES = ("STREAMLIT_BROWSER_SERVER_ADDRESS", "STREAMLIT_SERVER_ADDRESS")


def run_arguments(argv: Sequence[str], environ: Mapping[str, str]) -> list[str]:
    """``streamlit run``'s arguments: ``app.py``, the options given, and the address shown.

    Unless an address is given (``--browser.serverAddress``, ``--server.address`` or
    their ``STREAMLIT_...`` variables), the banner names ``localhost``: Streamlit would
    otherwise ask a web service for this machine's external address (a request to
    the internet from a server holding case data) and, offline, warn "Did not auto
    detect external IP".
    """
    given = any(
        arg.startswith(("--browser.serverAddress", "--server.address")) for arg in argv
    ) or any(name in environ for name in ADDRESS_VARIABLES)
    address = [] if given else ["--browser.serverAddress", "localhost"]
    return ["run", str(APP), *address, *argv]


def main(argv: Sequence[str] | None = None) -> None:
    """Start the Streamlit server on ``app.py`` with its warm-up (does not return)."""
    print("Starting the dashboard (the first page is ready a few seconds after the address below)",
          flush=True)  # before Streamlit's import, which takes seconds on a cold start
    from streamlit.web import cli

    from dashboard.warmup import start_with_the_server

    start_with_the_server()
    sys.argv = ["streamlit", *run_arguments(sys.argv[1:] if argv is None else argv, os.environ)]
    cli.main()


if __name__ == "__main__":
    main()
