"""Figures and reports: indicator definitions (no Qt, no Store; plain SQL over the synced tables)."""
