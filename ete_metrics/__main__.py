"""Entry point: ``python -m ete_metrics``."""

from ete_metrics.cli import main

raise SystemExit(main())
