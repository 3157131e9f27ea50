"""Analyses of the quality system: checks, gap analysis, reviews due, tasks, audit preparation, review pack."""
