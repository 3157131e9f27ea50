"""The site: the plan of every page the manual adds (plan), and the work a build starts early (prefetch)."""
