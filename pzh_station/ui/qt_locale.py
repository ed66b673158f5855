"""Qt's own texts in Chinese: the standard buttons of every message box (确定/取消/是/否), the
context menus of text fields (撤消/剪切/复制/粘贴), the file dialog and the calendar popup.

Qt ships them as ``qtbase_zh_CN.qm`` in PySide6's ``translations`` folder; the bundle keeps that
file (``installers/qtfilter.py``). :func:`install` loads it into the application at start.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import QCoreApplication, QLibraryInfo, QLocale, QTranslator

CHINA = QLocale(
    QLocale.Language.Chinese, QLocale.Script.SimplifiedChineseScript, QLocale.Country.China
)
CATALOGS = ("qtbase",)


def translation_dirs() -> list[Path]:
    """Where Qt's .qm files may be: Qt's own idea, then PySide6's two layouts (Linux wheels keep
    them in ``PySide6/Qt/translations``, Windows wheels and bundles in ``PySide6/translations``)."""
    import PySide6

    base = Path(PySide6.__file__).parent
    dirs = [Path(QLibraryInfo.path(QLibraryInfo.LibraryPath.TranslationsPath))]
    dirs += [base / "Qt" / "translations", base / "translations"]
    return [d for d in dict.fromkeys(dirs) if d.is_dir()]


def install(app: QCoreApplication) -> list[str]:
    """Make Chinese the locale of the app and load Qt's Chinese texts.

    :returns: the catalogs loaded (empty when none was found: Qt's texts then stay English).
    """
    QLocale.setDefault(CHINA)
    loaded = []
    for catalog in CATALOGS:
        for folder in translation_dirs():
            translator = QTranslator(app)
            if translator.load(CHINA, catalog, "_", str(folder)):
                app.installTranslator(translator)
                loaded.append(catalog)
                break
    return loaded
