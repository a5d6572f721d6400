"""Streamlit-side helpers of the ETE Outcomes dashboard.

Only this package (and ``app.py`` / ``pages/``) imports Streamlit. Every number
shown comes from :mod:`ete_metrics`; these modules read the data, hold the
shared filters and render charts, tables and downloads in the house style.

- :mod:`dashboard.data` — ``load_data()``, ``filtered()``, ``metric()``.
- :mod:`dashboard.state` — ``Filters``, ``sidebar_filters()``, ``current_filters()``.
- :mod:`dashboard.render` — ``chart_with_table()``, ``empty_state()``, ``tiles()``, ``user_errors()``.
"""
