"""Print: the manual and its documents as PDF, from the built site."""
