#!/usr/bin/env bash
# Lighthouse scores (performance, accessibility, best practices, SEO) of the main public pages,
# with the demo content, served as in production: DEBUG off, collected static files, gunicorn.
# Not part of the test suite (it needs Node.js 18.16+ and Chromium, and fetches Lighthouse from
# the npm registry on its first run). Usage: bench/lighthouse.sh [PAGE_PATH ...]
#   CHROME_PATH   the browser (default /usr/bin/chromium)
#   LIGHTHOUSE    a lighthouse command to use instead of `npx lighthouse@12.8.2`
set -euo pipefail
cd "$(dirname "$0")/.."

PY=.venv/bin/python
LIGHTHOUSE_VERSION=12.8.2  # the last release that runs on Node 20 (13.x needs Node 22.19)
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"
read -r -a LIGHTHOUSE_CMD <<< "${LIGHTHOUSE:-npx --yes lighthouse@$LIGHTHOUSE_VERSION}"

WORK="$(mktemp -d)"
SERVER_PID=""
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT

export DEBUG=false SECRET_KEY=bench-only-not-a-secret SECURE_SSL_REDIRECT=false LOG_LEVEL=WARNING
export DATABASE_URL="sqlite:///$WORK/db.sqlite3" STATIC_ROOT="$WORK/static" MEDIA_ROOT="$WORK/media"
$PY manage.py migrate --no-input -v 0
$PY manage.py seed_demo > /dev/null
$PY manage.py collectstatic --no-input -v 0
$PY manage.py compilemessages --ignore=.venv -v 0

PORT="$($PY -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')"
$PY -m gunicorn lpa_portal.wsgi --bind "127.0.0.1:$PORT" --workers 2 --log-level warning &
SERVER_PID=$!
for _ in $(seq 50); do
    curl -fsS -o /dev/null "http://127.0.0.1:$PORT/en/" 2>/dev/null && break
    sleep 0.2
done

if [ "$#" -gt 0 ]; then
    PAGES=("$@")
else
    EVENT="$($PY manage.py shell -v 0 -c 'from events.models import Event; print(Event.objects.filter(status="published").order_by("-start").first().get_absolute_url())')"
    RESOURCE="$($PY manage.py shell -v 0 -c 'from repository.models import Resource; print(Resource.objects.filter(status="published").order_by("-published_at").first().get_absolute_url())')"
    PAGES=(/en/ /en/events/ "$EVENT" /en/resources/ "/en/resources/?q=quality" "$RESOURCE" /en/accounts/signup/)
fi

printf '%-72s %5s %5s %5s %5s\n' page perf a11y bp seo
lighthouse() {
    "${LIGHTHOUSE_CMD[@]}" "http://127.0.0.1:$PORT$1" --quiet --output=json \
        --output-path="$WORK/report.json" --only-categories=performance,accessibility,best-practices,seo \
        --chrome-flags="--headless=new --no-sandbox --disable-gpu" >/dev/null 2>"$WORK/lighthouse.log"
}
for page in "${PAGES[@]}"; do
    # Lighthouse now and then fails to record a trace (NO_NAVSTART) on a busy machine: once more.
    lighthouse "$page" || lighthouse "$page" \
        || { echo "lighthouse failed on $page:"; tail -20 "$WORK/lighthouse.log"; exit 1; }
    $PY - "$page" "$WORK/report.json" <<'PYEOF'
import json, sys
page, path = sys.argv[1], sys.argv[2]
categories = json.load(open(path))["categories"]
scores = [categories[c]["score"] for c in ("performance", "accessibility", "best-practices", "seo")]
print(f"{page:<72} " + " ".join(f"{round(s * 100) if s is not None else '-':>5}" for s in scores))
PYEOF
done
