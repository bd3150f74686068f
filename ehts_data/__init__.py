"""EHTS Insight: store, ingest and metrics for Early Help and Targeted Support services."""

__version__ = "0.1.0"
