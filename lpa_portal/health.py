"""The health endpoint for load balancers and monitoring: `/healthz`."""

import logging

from django.db import DatabaseError, connection
from django.http import HttpResponse
from django.views.decorators.http import require_safe

logger = logging.getLogger(__name__)


@require_safe
def healthz(request):
    """200 "ok" while this process can serve pages, i.e. while the database answers; 503
    otherwise. It goes through the whole middleware stack, so it also checks the settings
    (allowed hosts) and is the floor of the benchmark: the cheapest request the portal serves."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as error:
        logger.error("Health check: the database does not answer: %s", error)
        response = HttpResponse("database unavailable\n", status=503, content_type="text/plain")
    else:
        response = HttpResponse("ok\n", content_type="text/plain")
    response["Cache-Control"] = "no-store"
    return response
