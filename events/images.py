"""Uploaded images: validated with Pillow, resized into renditions through the storage API."""

from __future__ import annotations

from io import BytesIO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

ALLOWED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_PIXELS = 40_000_000  # larger images are refused before decoding (decompression bombs)
RENDITION_WIDTHS = (480, 960)


def validate_image(file) -> None:
    """Accept JPEG, PNG or WebP by their content, not their name, and refuse huge images."""
    try:
        file.seek(0)
        with Image.open(file) as image:
            width, height = image.size
            kind = image.format
            if width * height > MAX_PIXELS:
                raise ValidationError(_("The image is too large (at most 40 megapixels)."))
            image.verify()
    except ValidationError:
        raise
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError) as error:
        raise ValidationError(_("The file is not a readable JPEG, PNG or WebP image.")) from error
    finally:
        file.seek(0)
    if kind not in ALLOWED_FORMATS:
        raise ValidationError(_("Use a JPEG, PNG or WebP image."))


def renditions_create(*, name: str, widths=RENDITION_WIDTHS) -> tuple[dict[str, str], int, int]:
    """Write resized WebP copies of a stored image; return their names and the original size."""
    with default_storage.open(name, "rb") as source, Image.open(source) as image:
        image.load()
        original_width, original_height = image.size
        image = image.convert("RGB")
        stem = name.rsplit(".", 1)[0]
        renditions = {}
        for width in widths:
            if width >= original_width and renditions:
                break
            copy = image.copy()
            copy.thumbnail((width, round(width * original_height / original_width)))
            buffer = BytesIO()
            copy.save(buffer, "WEBP", quality=78, method=4)
            target = f"{stem}-{width}.webp"
            if default_storage.exists(target):
                default_storage.delete(target)
            renditions[str(copy.width)] = default_storage.save(
                target, ContentFile(buffer.getvalue())
            )
    return renditions, original_width, original_height
