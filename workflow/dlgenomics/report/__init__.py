"""Figures, HTML pages and provenance for people."""
