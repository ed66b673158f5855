"""Draw the app icon (a red kapok flower, 攀枝花, on a rounded square) with Qt and write
``resources/icons/pzh-station.png`` (256 px) and ``resources/icons/pzh-station.ico``.

No font and no Pillow: the shapes are painted with QPainter, and the .ico is packed here from
PNG images (Windows Vista and later read PNG-compressed icon entries). The files are committed;
run this again only to change the design:

    QT_QPA_PLATFORM=offscreen python installers/make_icon.py
"""

from __future__ import annotations

import math
import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ICONS = ROOT / "resources" / "icons"
SIZES = (16, 24, 32, 48, 64, 128, 256)


def render(size: int) -> bytes:
    """PNG bytes of the icon drawn at ``size`` pixels (drawn per size, not scaled, so small sizes
    stay crisp)."""
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QPointF, QRectF, Qt
    from PySide6.QtGui import QBrush, QColor, QImage, QPainter, QPainterPath

    img = QImage(size, size, QImage.Format.Format_ARGB32)
    img.fill(Qt.GlobalColor.transparent)
    p = QPainter(img)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    s = float(size)
    # Background: warm cream rounded square.
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QBrush(QColor("#FFF4E0")))
    radius = s * 0.2
    p.drawRoundedRect(QRectF(s * 0.03, s * 0.03, s * 0.94, s * 0.94), radius, radius)
    # Five petals of the kapok flower around the centre.
    c = QPointF(s / 2, s / 2)
    p.setBrush(QBrush(QColor("#D7261E")))
    for i in range(5):
        angle = math.radians(-90 + i * 72)
        petal = QPainterPath()
        tip = QPointF(c.x() + math.cos(angle) * s * 0.40, c.y() + math.sin(angle) * s * 0.40)
        side = math.radians(90)
        w = s * 0.17
        left = QPointF(
            c.x() + math.cos(angle - side) * w * 0.35, c.y() + math.sin(angle - side) * w * 0.35
        )
        right = QPointF(
            c.x() + math.cos(angle + side) * w * 0.35, c.y() + math.sin(angle + side) * w * 0.35
        )
        ctrl_l = QPointF(
            c.x() + math.cos(angle - 0.55) * s * 0.36, c.y() + math.sin(angle - 0.55) * s * 0.36
        )
        ctrl_r = QPointF(
            c.x() + math.cos(angle + 0.55) * s * 0.36, c.y() + math.sin(angle + 0.55) * s * 0.36
        )
        petal.moveTo(left)
        petal.quadTo(ctrl_l, tip)
        petal.quadTo(ctrl_r, right)
        petal.closeSubpath()
        p.drawPath(petal)
    # Golden centre.
    p.setBrush(QBrush(QColor("#F5B700")))
    p.drawEllipse(c, s * 0.09, s * 0.09)
    p.end()
    data = QByteArray()
    buf = QBuffer(data)
    buf.open(QIODevice.OpenModeFlag.WriteOnly)
    img.save(buf, "PNG")
    buf.close()
    return bytes(data.data())


def pack_ico(images: dict[int, bytes]) -> bytes:
    """An .ico file holding one PNG entry per size (ICONDIR + ICONDIRENTRY[] + data)."""
    count = len(images)
    header = struct.pack("<HHH", 0, 1, count)
    entries, blobs = b"", b""
    offset = 6 + 16 * count
    for size, png in sorted(images.items()):
        dim = 0 if size >= 256 else size  # 0 means 256 in an ICONDIRENTRY
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(png), offset)
        blobs += png
        offset += len(png)
    return header + entries + blobs


def main() -> int:
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtGui import QGuiApplication

    _app = QGuiApplication.instance() or QGuiApplication(sys.argv[:1])
    images = {size: render(size) for size in SIZES}
    ICONS.mkdir(parents=True, exist_ok=True)
    (ICONS / "pzh-station.png").write_bytes(images[256])
    (ICONS / "pzh-station.ico").write_bytes(pack_ico(images))
    print(f"wrote {ICONS / 'pzh-station.png'} and {ICONS / 'pzh-station.ico'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
