"""Counting rules: who is in the population on a date, which milestones count, grouping, survival and confidence intervals."""
