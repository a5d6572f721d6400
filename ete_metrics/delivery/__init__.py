"""Packs delivered by email on a schedule (issue 29): the top floor, beside the command line.

- :mod:`~ete_metrics.delivery.subscriptions` reads the subscriptions file (who is sent
  which pack, how often) and resolves each recipient by the access file;
- :mod:`~ete_metrics.delivery.mail` holds the SMTP settings and sends messages;
- :mod:`~ete_metrics.delivery.periods` says which period's pack is due on a date;
- :mod:`~ete_metrics.delivery.packs` builds a user's pack, the one builder of
  ``python -m ete_metrics report`` and ``deliver``;
- :mod:`~ete_metrics.delivery.deliver` builds what is due, sends it, and records it;
- :mod:`~ete_metrics.delivery.alerts` reads the ``[[alert]]`` rules, evaluates them after
  each import and in ``deliver``, and fires each once per change.

It may import every floor below it (data, protect, present); nothing below imports it.
"""
