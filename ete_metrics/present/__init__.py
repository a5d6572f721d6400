"""Presentation: formatting for people, Plotly chart builders and the report files (deck, PDF, workbook)."""
