"""Bringing an existing quality system in: Markdown and Word procedures as controlled documents (`qms import`)."""
