"""The site: the plan of every page the manual adds, built from the model, the history and the analyses (plan)."""
