"""Uploaded images, in one place for every image field (therapist photos, article hero images).

An upload is refused above ``MAX_IMAGE_PIXELS`` before anything decodes it: a small file can
declare an enormous picture (a decompression bomb) that would take a web worker's memory. What
is stored is never the file as uploaded: its pixels are decoded and saved again as a fresh JPEG,
PNG or WebP, turned upright, with no metadata (the EXIF camera and GPS data, comments, text
chunks) and nothing after the image data. A file crafted to be both an image and an HTML page or
script (a polyglot) is therefore stored as a plain image only.

Pillow is imported by the functions that read an upload, not with the module: the models import
this one, and a web worker that only shows pages never decodes an image.
"""

import io
from pathlib import PurePath

from django import forms
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import models

MAX_IMAGE_PIXELS = 25_000_000

# The format each upload is stored in: these three as they came, anything else Pillow reads
# (GIF, BMP, TIFF...) as PNG, which keeps its transparency.
STORED_FORMATS = {"JPEG": ".jpg", "PNG": ".png", "WEBP": ".webp"}
JPEG_QUALITY = 90


def image_size_validate(file) -> None:
    """Refuse an image of more than ``MAX_IMAGE_PIXELS``, reading only its header. A file that
    isn't an image is left for the image field's own check to refuse."""
    from PIL import Image

    limit = f"The most we take is {MAX_IMAGE_PIXELS // 1_000_000} megapixels"
    file.seek(0)
    try:
        with Image.open(file) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        raise ValidationError(
            f"This image is far too large. {limit}: resize it and upload it again.",
            code="image_too_large",
        ) from None
    except (OSError, ValueError, SyntaxError):
        return
    finally:
        file.seek(0)
    if width * height > MAX_IMAGE_PIXELS:
        raise ValidationError(
            f"This image is {width} × {height} pixels ({width * height / 1_000_000:.0f} "
            f"megapixels). {limit}: resize it and upload it again.",
            code="image_too_large",
        )


def image_reencode(file) -> ContentFile:
    """The upload's pixels in a new file, named after it with its new format's extension."""
    from PIL import Image, ImageOps

    image_size_validate(file)
    with Image.open(file) as uploaded:
        stored_format = uploaded.format if uploaded.format in STORED_FORMATS else "PNG"
        image = ImageOps.exif_transpose(uploaded)
    if stored_format == "JPEG":
        if image.mode not in ("RGB", "L"):
            image = image.convert("RGB")
    elif image.mode not in ("RGB", "RGBA", "L", "LA") or "transparency" in image.info:
        # Palettes and single transparent colours live in the metadata emptied below.
        image = image.convert("RGBA")
    # Encoders write only the pixels and what they are given; emptied so none can fall back on
    # the uploaded file's metadata.
    image.info = {}
    output = io.BytesIO()
    options = {"quality": JPEG_QUALITY} if stored_format == "JPEG" else {}
    image.save(output, stored_format, **options)
    name = PurePath(file.name).with_suffix(STORED_FORMATS[stored_format]).name
    return ContentFile(output.getvalue(), name=name)


class UploadedImageFormField(forms.ImageField):
    def to_python(self, data):
        # Before the parent class opens the image, so an oversized one gets this message
        # rather than "not a valid image".
        if hasattr(data, "seek"):
            image_size_validate(data)
        return super().to_python(data)


class UploadedImageField(models.ImageField):
    """An ``ImageField`` whose forms refuse oversized images and whose new uploads are stored
    re-encoded (``image_reencode``)."""

    def formfield(self, **kwargs):
        return super().formfield(**{"form_class": UploadedImageFormField, **kwargs})

    def pre_save(self, model_instance, add):
        file = getattr(model_instance, self.attname)
        if file and not file._committed:
            setattr(model_instance, self.attname, image_reencode(file))
        return super().pre_save(model_instance, add)
