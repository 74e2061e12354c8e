"""Renderers: read an Analysis (or an AnalysisDiff) and print it. They never recompute."""
