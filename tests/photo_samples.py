"""Photos made for tests with Pillow: a camera-sized JPEG with orientation and GPS in its EXIF,
a PNG scan, a PDF, a renamed .exe and a cut-off JPEG (no binary fixtures in the repo)."""

from __future__ import annotations

import io
import random
from pathlib import Path

from PIL import Image


def camera_jpeg(
    path: Path, *, size=(4000, 3000), orientation: int = 6, gps: bool = True, seed: int = 1
) -> Path:
    """A noisy (hard to compress, like a real photo) JPEG as a phone writes it."""
    rng = random.Random(seed)
    small = Image.new("RGB", (size[0] // 8, size[1] // 8))
    small.putdata(
        [
            (rng.randrange(256), rng.randrange(256), rng.randrange(256))
            for _ in range(small.width * small.height)
        ]
    )
    im = small.resize(size, Image.Resampling.BILINEAR)
    # A marker in the top-left corner, to see that orientation is applied.
    im.paste((255, 0, 0), (0, 0, size[0] // 10, size[1] // 10))
    exif = Image.Exif()
    exif[0x0112] = orientation
    exif[0x010F] = "TestCam"
    exif[0x9003] = "2026:10:01 09:30:00"
    if gps:
        exif[0x8825] = {1: "N", 2: (26.0, 35.0, 0.0), 3: "E", 4: (101.0, 43.0, 0.0)}
    im.save(path, "JPEG", quality=92, exif=exif.tobytes())
    return path


def png_scan(path: Path, size=(1200, 1700)) -> Path:
    im = Image.new("RGBA", size, (255, 255, 255, 0))
    for y in range(100, size[1], 60):
        im.paste((0, 0, 0, 255), (80, y, size[0] - 80, y + 3))
    im.save(path, "PNG")
    return path


def pdf_scan(path: Path) -> Path:
    path.write_bytes(
        b"%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n"
        b"2 0 obj <</Type /Pages /Kids [] /Count 0>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n"
    )
    return path


def renamed_exe(path: Path) -> Path:
    path.write_bytes(b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 2000 + b"This program cannot be run")
    return path


def corrupt_jpeg(path: Path, source: Path) -> Path:
    data = source.read_bytes()
    path.write_bytes(data[: len(data) // 3])
    return path


def big_file(path: Path, mb: int = 31) -> Path:
    """A JPEG-looking file over the 30 MB limit (the size check comes first)."""
    with path.open("wb") as fh:
        fh.write(b"\xff\xd8\xff\xe0")
        fh.seek(mb * 1024 * 1024)
        fh.write(b"\x00")
    return path


def jpeg_bytes(size=(800, 600), seed: int = 2) -> bytes:
    out = io.BytesIO()
    camera_jpeg_to(out, size=size, seed=seed)
    return out.getvalue()


def camera_jpeg_to(fh, *, size, seed) -> None:
    rng = random.Random(seed)
    small = Image.new("RGB", (max(1, size[0] // 8), max(1, size[1] // 8)))
    small.putdata([(rng.randrange(256),) * 3 for _ in range(small.width * small.height)])
    small.resize(size).save(fh, "JPEG", quality=90)
