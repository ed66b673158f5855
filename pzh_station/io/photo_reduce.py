"""Reduce a picked photo to evidence size with Pillow (issue 15).

A photo is decoded (a file Pillow cannot decode is refused as corrupt), turned upright by its
EXIF orientation, shrunk to ``LONGEST_SIDE`` on its longest side, and saved as JPEG at
``JPEG_QUALITY``. EXIF is kept (the time it was taken is evidence) except the location (GPS),
unless the station chose to keep it. A thumbnail (``THUMB_SIDE``) is made beside it. A PDF scan
is kept as it is, after a check that it is a whole PDF. The type is judged by content.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from pathlib import Path

from PIL import Image, ImageOps, UnidentifiedImageError

from pzh_core import photos
from pzh_core.photos import PhotoError, refuse

GPS_IFD = 0x8825
ORIENTATION = 0x0112


@dataclass(frozen=True)
class Reduced:
    data: bytes
    kind: str
    width: int = 0
    height: int = 0
    thumb: bytes = b""


def read_picked(path: Path) -> bytes:
    """The bytes of a picked file, within the size limit."""
    name = Path(path).name
    try:
        size = Path(path).stat().st_size
        photos.check_size(name, size)
        return Path(path).read_bytes()
    except OSError as exc:
        raise refuse("unreadable", name=name, detail=exc.strerror or str(exc)) from exc


def reduce(data: bytes, name: str, *, keep_location: bool = False) -> Reduced:
    """The stored form of a picked file.

    :raises PhotoError: wrong type (by content), corrupt, too big — with a Chinese message.
    """
    photos.check_size(name, len(data))
    kind = photos.sniff(data[:16])
    if kind is None:
        raise refuse("wrong_type", name=name)
    if kind == "pdf":
        if b"%%EOF" not in data[-2048:]:
            raise refuse("corrupt", name=name)
        photos.check_size(name, len(data), photos.MAX_STORED_BYTES)
        return Reduced(data, "pdf")
    try:
        with Image.open(io.BytesIO(data)) as im:
            if im.format not in ("JPEG", "PNG"):
                raise refuse("wrong_type", name=name)
            # Decode a big JPEG at a fraction of its size (DCT scaling): fast and little memory.
            im.draft("RGB", (photos.LONGEST_SIDE, photos.LONGEST_SIDE))
            im.load()
            upright = ImageOps.exif_transpose(im)
    except PhotoError:
        raise
    except (OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise refuse("corrupt", name=name) from exc
    except UnidentifiedImageError as exc:  # pragma: no cover - an OSError subclass
        raise refuse("corrupt", name=name) from exc
    exif = upright.getexif()
    exif.pop(ORIENTATION, None)  # applied above
    if not keep_location:
        exif.pop(GPS_IFD, None)
    rgb = _rgb(upright)
    rgb.thumbnail((photos.LONGEST_SIDE, photos.LONGEST_SIDE), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    rgb.save(out, "JPEG", quality=photos.JPEG_QUALITY, optimize=True, exif=exif.tobytes())
    thumb = rgb.copy()
    thumb.thumbnail((photos.THUMB_SIDE, photos.THUMB_SIDE), Image.Resampling.LANCZOS)
    tout = io.BytesIO()
    thumb.save(tout, "JPEG", quality=70, optimize=True)
    return Reduced(out.getvalue(), "jpeg", rgb.width, rgb.height, tout.getvalue())


def _rgb(im: Image.Image) -> Image.Image:
    """RGB for JPEG: transparency goes onto white (a scanned sheet stays readable)."""
    if im.mode == "RGB":
        return im
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        white = Image.new("RGB", rgba.size, (255, 255, 255))
        white.paste(rgba, mask=rgba.getchannel("A"))
        return white
    return im.convert("RGB")
