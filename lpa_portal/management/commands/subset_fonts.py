"""Cut the fonts the portal ships (pages and certificates) from Debian's Noto fonts.

    apt-get install fonts-noto-core fonts-noto-cjk
    .venv/bin/python manage.py subset_fonts

See lpa_portal/fonts.py for what is cut and why; commit the files it writes.
"""

from django.core.management.base import BaseCommand

from lpa_portal.fonts import fonts_build


class Command(BaseCommand):
    help = "Cut the Arabic, Cyrillic and Chinese fonts of pages and certificates from Noto."

    def add_arguments(self, parser):
        parser.add_argument("--pages", action="store_true", help="only the fonts of pages")
        parser.add_argument(
            "--certificates", action="store_true", help="only the fonts of certificates"
        )

    def handle(self, *args, pages, certificates, **options):
        both = not (pages or certificates)
        fonts_build(pages=pages or both, certificates=certificates or both, log=self.stdout.write)
