"""Metrics: funnels, headline figures, monthly activity, cohorts, time to outcome, comparison, partners, equality and targets."""
