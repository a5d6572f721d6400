"""Delivery: packs sent to subscribers and alerts raised (issue 29)."""
