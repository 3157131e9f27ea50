"""Renderers: turn the model into Markdown pages and links. No MkDocs imports."""
