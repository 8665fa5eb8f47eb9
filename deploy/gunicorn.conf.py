"""gunicorn settings of an LPA Portal app server (`gunicorn --config deploy/gunicorn.conf.py
lpa_portal.wsgi`), from the environment that supervisor gives it (deploy/supervisor/)."""

import os

# Where nginx reaches this server (deploy/nginx/lpa-portal.conf, APP_SERVERS).
bind = os.environ.get("GUNICORN_BIND", "0.0.0.0:8000")
# Processes, each with threads: a thread waits on the database or the cache while another works.
workers = int(os.environ.get("GUNICORN_WORKERS", "3"))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "2"))
# A request still running after this is a bug; its worker is replaced.
timeout = 60
# On SIGTERM (a deployment), requests in flight get this long to finish.
graceful_timeout = 30
# nginx opens a connection per request (no upstream keep-alive): a connection the server closes
# just as nginx reuses it would fail a POST that nginx must not retry.
keepalive = 2
# Workers are renewed now and then, so that no slow leak builds up.
max_requests = 5000
max_requests_jitter = 500
# Errors to stderr (supervisor keeps it); nginx logs the requests.
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
accesslog = None
proc_name = "lpa-portal"
