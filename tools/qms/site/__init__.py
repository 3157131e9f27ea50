"""The site plan: every page the manual adds, for any front end."""
