"""File downloads: access checks, counting and efficient sending (being built)."""

from django.http import Http404


def download(request, slug, file_id):
    raise Http404
