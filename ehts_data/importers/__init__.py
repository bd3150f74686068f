"""Importers: turn another standard's extract into a data contract extract that `ehts ingest`
accepts. Each importer writes contract files only; the store is still loaded by ingest."""
