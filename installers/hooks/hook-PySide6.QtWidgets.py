# PyInstaller's own hook for this PySide6 module, less the Qt plugins the bundle drops
# (installers/qtfilter.py). The spec passes this folder as ``hookspath``: a user hook replaces
# the built-in one of the same module.
from qtfilter import kept_qt_dependencies

hiddenimports, binaries, datas = kept_qt_dependencies(__file__)
