"""Change control from git: repository access, revision history, redlines, flags and pull requests."""
