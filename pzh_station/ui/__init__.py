"""The Qt desktop UI. Widgets call services through ``ui.tasks``; no SQL here."""
