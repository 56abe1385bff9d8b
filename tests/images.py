"""Image uploads for the tests, drawn with Pillow so the suite keeps no binary files."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image
from PIL.PngImagePlugin import PngInfo

# What an attacker appends after the image data so that the same file also reads as a web page.
TRAILING_HTML = b"<html><script>alert(document.cookie)</script></html>"


def camera_exif() -> Image.Exif:
    """What a phone writes into a photo: its make, where it was taken, and that it was held
    sideways (orientation 6: turn 90 degrees to show it upright)."""
    exif = Image.Exif()
    exif[0x010F] = "Spy Cam"
    exif[0x0112] = 6
    gps = exif.get_ifd(0x8825)
    gps[1], gps[2] = "N", (33.0, 45.0, 0.0)
    return exif


def image_upload(
    name: str, *, size=(64, 48), image_format="JPEG", mode="RGB", trailing=b"", **save_options
) -> SimpleUploadedFile:
    """An upload named ``name`` holding a ``size`` image in ``image_format``, with
    ``trailing`` bytes appended after the image data."""
    output = io.BytesIO()
    Image.new(mode, size, "white" if mode != "P" else 0).save(output, image_format, **save_options)
    return SimpleUploadedFile(name, output.getvalue() + trailing)


def png_text(**chunks: str) -> PngInfo:
    info = PngInfo()
    for key, value in chunks.items():
        info.add_text(key, value)
    return info
