"""Metrics, leaderboards, ensembles, submissions and scoring new rows."""
