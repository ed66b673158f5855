"""Marking user-visible text for translation without importing Qt.

Core code (domain, services, store) calls ``tr("Context", "中文")``. When the Qt application is
running, the text goes through ``QCoreApplication.translate`` (so an English .qm can follow);
headless (CLI, server, tests without Qt) it is returned as is. Widgets use ``self.tr()``.
"""

from __future__ import annotations

import sys


def tr(context: str, text: str) -> str:
    qtcore = sys.modules.get("PySide6.QtCore")
    if qtcore is not None and qtcore.QCoreApplication.instance() is not None:
        return qtcore.QCoreApplication.translate(context, text)
    return text
