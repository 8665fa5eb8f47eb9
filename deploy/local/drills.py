"""make drills: break the production topology (deploy/local/topology.py) one part at a time
under real traffic through nginx, and check what people see and that nothing is lost.

    python deploy/local/drills.py [--keep] [DRILL ...]     (drills by number or name)

It uses the running topology (`make prod-up`) and leaves it running; with none running it starts
one and stops it at the end (--keep leaves it running). Each drill runs bounded loops of requests
on this machine's own network, through nginx, while it breaks one part:

1. app-killed      SIGKILL one gunicorn instance under load: no failed GET (nginx retries those
                   in flight on the next instance), no registration lost or doubled.
2. replica-down    stop the replica: public pages keep answering (from the primary) within 5 s;
                   start it: it catches up and the reads return to it.
3. primary-restart restart the primary: the 503 page while it is down, then normal answers with
                   the same app processes; no accepted registration lost.
4. cache-down      stop Redis (and cut its host off the network): pages still served, nobody
                   signed out, sign-in refused with a clear message, downloads go on; start it:
                   caching resumes by itself.
5. store-down      take the object store away: downloads answer a clear 503 page, an upload is
                   refused with a clear message and leaves no row and no object; back: all works.
6. storm           300 people post at once for 50 seats, through nginx across both app servers:
                   exactly 50 confirmed, 250 waitlisted in arrival order, each email queued once.
7. backup-restore  make backup under traffic (pg_dump of a snapshot, a copy of the buckets);
                   restore into a fresh cluster and store: every table's row count and every
                   file's checksum equal.

It prints a table (drill, requests, failed requests, data lost, time to recover, result) and
exits non-zero if any drill lost data or missed its promise.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import itertools
import json
import os
import random
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode

sys.path.insert(0, str(Path(__file__).resolve().parent))

import topology as topo

ROOT = topo.ROOT
USER_AGENT = "Mozilla/5.0 (X11; Linux x86_64) lpa-portal-drills"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
TRY_AGAIN = b"Please try again in a few minutes"
FILES_UNAVAILABLE = b"Files are briefly unavailable"
STORE_REFUSED = b"The file store cannot be reached at the moment"


def log(message: str) -> None:
    print(f"[drills {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- HTTP


@dataclass
class Answer:
    method: str
    path: str
    status: int  # 0: no answer (connection failed)
    headers: dict[str, str]
    body: bytes
    started: float
    finished: float
    error: str = ""

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 400

    def header(self, name: str) -> str:
        for key, value in self.headers.items():
            if key.lower() == name.lower():
                return value
        return ""


class Client:
    """Requests to nginx, as a browser on this machine sends them."""

    def __init__(self, topology: topo.Topology) -> None:
        lb = topology.hosts["lb"]
        self.address, self.port = lb.address, lb.port
        self.host = lb.address if lb.port == 80 else lb.endpoint
        self.origin = topology.url

    def request(
        self,
        method: str,
        path: str,
        *,
        cookies: dict[str, str] | None = None,
        form: dict[str, str] | None = None,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 30,
    ) -> Answer:
        all_headers = {"Host": self.host, "User-Agent": USER_AGENT, **(headers or {})}
        if cookies:
            all_headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        if form is not None:
            body = urlencode(form).encode()
            all_headers["Content-Type"] = "application/x-www-form-urlencoded"
        if method == "POST":
            all_headers.setdefault("Origin", self.origin)
            all_headers.setdefault("Referer", self.origin + path)
        started = time.monotonic()
        connection = http.client.HTTPConnection(self.address, self.port, timeout=timeout)
        try:
            connection.request(method, path, body=body, headers=all_headers)
            response = connection.getresponse()
            headers_out: dict[str, str] = {}
            for key, value in response.getheaders():
                if key.lower() == "set-cookie" and key in headers_out:
                    headers_out[key] += "\n" + value
                else:
                    headers_out[key] = value
            content = response.read()
            return Answer(
                method, path, response.status, headers_out, content, started, time.monotonic()
            )
        except (OSError, http.client.HTTPException) as error:
            return Answer(
                method,
                path,
                0,
                {},
                b"",
                started,
                time.monotonic(),
                f"{type(error).__name__}: {error}",
            )
        finally:
            connection.close()


def cookie_from(answer: Answer, name: str) -> str | None:
    for line in answer.header("Set-Cookie").split("\n"):
        if line.startswith(f"{name}="):
            return line.split(";", 1)[0].split("=", 1)[1]
    return None


class Load:
    """`threads` loops of GET requests through nginx until stopped (at most `limit` seconds)."""

    def __init__(
        self,
        client: Client,
        paths: list[Callable[[int], tuple[str, dict]]],
        threads: int = 4,
        limit: float = 60,
    ) -> None:
        self.client, self.paths, self.threads, self.limit = client, paths, threads, limit
        self.answers: list[Answer] = []
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._counter = 0

    def _next(self) -> int:
        with self._lock:
            self._counter += 1
            return self._counter

    def _loop(self) -> None:
        deadline = time.monotonic() + self.limit
        while not self._stop.is_set() and time.monotonic() < deadline:
            n = self._next()
            path, cookies = self.paths[n % len(self.paths)](n)
            answer = self.client.request("GET", path, cookies=cookies, timeout=20)
            with self._lock:
                self.answers.append(answer)

    @contextlib.contextmanager
    def running(self) -> Iterator[Load]:
        workers = [threading.Thread(target=self._loop, daemon=True) for _ in range(self.threads)]
        for worker in workers:
            worker.start()
        try:
            yield self
        finally:
            self._stop.set()
            for worker in workers:
                worker.join(timeout=30)

    def failed(self, after: float = float("-inf"), before: float = float("inf")) -> list[Answer]:
        return [a for a in self.answers if not a.ok and after <= a.started <= before]


def anonymous(page: str) -> Callable[[int], tuple[str, dict]]:
    """An anonymous visitor's page; `{n}` makes each URL new (the page cache cannot answer it:
    the page is made, its reads go to the database)."""
    return lambda n: (page.format(n=n), {})


def signed_in(page: str, session: str) -> Callable[[int], tuple[str, dict]]:
    return lambda n: (page.format(n=n), {"sessionid": session})


# --------------------------------------------------------------------------- the portal's data


def drill_data(topology: topo.Topology, *args: str):
    result = subprocess.run(
        [str(topo.PYTHON), str(Path(__file__).with_name("drill_data.py")), *args],
        cwd=ROOT,
        env=topology.portal_env(),
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if result.returncode != 0:
        raise topo.TopologyError(f"drill_data {' '.join(args)}:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout)


@dataclass
class Person:
    email: str
    session: str
    posts: list[int] = field(default_factory=list)

    @property
    def accepted(self) -> bool:
        """The portal answered the registration with its redirect back to the event."""
        return 302 in self.posts


def people(topology: topo.Topology, tag: str, count: int) -> list[Person]:
    return [
        Person(p["email"], p["session"]) for p in drill_data(topology, "people", tag, str(count))
    ]


def register(
    client: Client, person: Person, url: str, attempts: int = 1, pause: float = 1.0
) -> None:
    """What a person does: open the event page, post the form; on an error page, try again a
    little later (up to `attempts` times)."""
    for attempt in range(attempts):
        if attempt:
            time.sleep(pause)
        page = client.request("GET", url, cookies={"sessionid": person.session})
        token, csrf = TOKEN.search(page.body), cookie_from(page, "csrftoken")
        if page.status != 200 or not token or not csrf:
            person.posts.append(-page.status or -1)  # could not even load the form
            continue
        answer = client.request(
            "POST",
            url,
            cookies={"sessionid": person.session, "csrftoken": csrf},
            form={"csrfmiddlewaretoken": token.group(1).decode(), "consent": "on"},
        )
        person.posts.append(answer.status)
        if answer.status == 302:
            return


def registration_check(topology: topo.Topology, slug: str, persons: list[Person]) -> list[str]:
    """Nothing lost or doubled: every person whose registration was accepted has exactly one;
    nobody has two; each registration queued its email once."""
    rows = drill_data(topology, "registrations", slug)["rows"]
    by_person: dict[str, list[dict]] = {}
    for row in rows:
        by_person.setdefault(row["email"], []).append(row)
    problems = []
    lost = [p.email for p in persons if p.accepted and p.email not in by_person]
    doubled = [email for email, found in by_person.items() if len(found) > 1]
    emails = [row["email"] for row in rows if row["emails_queued"] != 1]
    if lost:
        problems.append(f"{len(lost)} accepted registrations lost")
    if doubled:
        problems.append(f"{len(doubled)} people registered twice")
    if emails:
        problems.append(f"{len(emails)} registrations without exactly one email queued")
    return problems


# --------------------------------------------------------------------------- results


@dataclass
class Outcome:
    drill: str
    requests: int = 0
    failed: int = 0
    lost: str = "none"
    recover_seconds: float | None = None
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.problems


def wait_until(check: Callable[[], bool], timeout: float, step: float = 0.25) -> float | None:
    """Seconds until `check()` holds, or None if it did not within `timeout`."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        with contextlib.suppress(Exception):
            if check():
                return time.monotonic() - started
        time.sleep(step)
    return None


def replica_reading(topology: topo.Topology, since: float) -> bool:
    """Whether the portal read its tables on the replica since `since` (a time.time()): the
    last statement of one of its connections there (pg_stat_activity shows it at once)."""
    import psycopg2

    connection = psycopg2.connect(topology.env()["DATABASE_REPLICA_URL"], connect_timeout=2)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND pid <> pg_backend_pid() AND query_start > to_timestamp(%s) "
                "AND (query LIKE '%%FROM \"events_%%' OR query LIKE '%%FROM \"repository_%%')",
                [since],
            )
            return cursor.fetchone()[0] > 0
    finally:
        connection.close()


def replica_streaming(topology: topo.Topology) -> bool:
    import psycopg2

    connection = psycopg2.connect(topology.env()["DATABASE_URL"], connect_timeout=2)
    try:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' "
                "AND replay_lsn = pg_current_wal_lsn()"
            )
            return cursor.fetchone()[0] == 1
    finally:
        connection.close()


def count_rows(url: str, table: str, where: str = "", params=()) -> int:
    import psycopg2

    connection = psycopg2.connect(url, connect_timeout=2)
    try:
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT count(*) FROM {table} {where}", params)  # noqa: S608
            return cursor.fetchone()[0]
    finally:
        connection.close()


# --------------------------------------------------------------------------- the drills

PUBLIC_PAGES = [
    anonymous("/en/"),
    anonymous("/en/events/"),
    anonymous("/en/resources/"),
    anonymous("/en/events/?drill={n}"),
    anonymous("/en/resources/?drill={n}"),
    anonymous("/fr/events/?drill={n}"),
]


def drill_app_killed(topology: topo.Topology, client: Client) -> Outcome:
    outcome = Outcome("1. one gunicorn instance killed (SIGKILL) under load")
    visitor = people(topology, "kill-visitor", 1)[0]
    persons = people(topology, "kill", 40)
    event = drill_data(topology, "event", "kill", "1000")
    app1 = topology.hosts["app1"]
    pages = [*PUBLIC_PAGES, signed_in("/en/accounts/", visitor.session)]
    load = Load(client, pages, threads=6, limit=30)
    killed_at = 0.0
    with load.running():
        posters = [
            threading.Timer(random.uniform(0.5, 7.5), register, (client, person, event["url"], 5))
            for person in persons
        ]
        for poster in posters:
            poster.start()
        time.sleep(2.5)
        master = app1.program_pid("lpa-gunicorn")
        killed_at = time.monotonic()
        os.killpg(master, signal.SIGKILL)  # the master and its workers: the whole instance
        log(f"killed gunicorn on app1 (process group {master})")
        time.sleep(6)
        for poster in posters:
            poster.join(timeout=60)
    recovered = wait_until(
        lambda: topology.http("GET", "/healthz", host=app1, timeout=2)[0] == 200, 60
    )
    outcome.recover_seconds = None if recovered is None else time.monotonic() - killed_at
    get_failures = load.failed()
    outcome.requests = len(load.answers) + sum(len(p.posts) for p in persons)
    outcome.failed = len(get_failures) + sum(1 for p in persons for s in p.posts if s != 302)
    if get_failures:
        outcome.problems.append(
            f"{len(get_failures)} failed GET: "
            + ", ".join(sorted({str(a.status or a.error) for a in get_failures}))
        )
    problems = registration_check(topology, event["slug"], persons)
    outcome.problems += problems
    outcome.lost = "none" if not problems else "; ".join(problems)
    not_registered = [p.email for p in persons if not p.accepted]
    if not_registered:
        outcome.problems.append(f"{len(not_registered)} people could not register in 5 tries")
    if outcome.recover_seconds is None:
        outcome.problems.append("app1 did not come back within 60 s")
    outcome.notes.append(
        f"{len(persons)} registrations posted during the kill; the failed requests are posts in "
        "flight on the killed instance (nginx does not send a POST twice), each person's next "
        "try went through; supervisor restarted the instance"
    )
    return outcome


def drill_replica_down(topology: topo.Topology, client: Client) -> Outcome:
    outcome = Outcome("2. replica stopped, then started")
    db2 = topology.hosts["db2"]
    persons = people(topology, "replica", 10)
    event = drill_data(topology, "event", "replica", "100")
    load = Load(client, PUBLIC_PAGES, threads=4, limit=60)
    with load.running():
        since = time.time()
        if wait_until(lambda: replica_reading(topology, since), 10) is None:
            outcome.problems.append("the replica answered no reads before the drill")
        stopped_at = time.monotonic()
        db2.ctl("stop", "postgresql")
        log("replica stopped")
        # Writes while it is down, which it must catch up on.
        for person in persons:
            register(client, person, event["url"], attempts=3)
        time.sleep(max(0.0, stopped_at + 8 - time.monotonic()))
        late = load.failed(after=stopped_at + 5)
        early = load.failed(after=stopped_at, before=stopped_at + 5)
        started_at, started_wall = time.monotonic(), time.time()
        db2.ctl("start", "postgresql")
        log("replica started")
        caught_up = wait_until(lambda: replica_streaming(topology), 60)
        # Reads of the portal on the replica, started after it was back.
        returned = wait_until(lambda: replica_reading(topology, started_wall), 30, step=0.2)
        returned_at = time.monotonic()
    outcome.requests = len(load.answers) + sum(len(p.posts) for p in persons)
    outcome.failed = len(load.failed()) + sum(1 for p in persons for s in p.posts if s != 302)
    if late:
        outcome.problems.append(f"{len(late)} failed requests more than 5 s after the stop")
    if caught_up is None:
        outcome.problems.append("the replica did not catch up within 60 s")
    if returned is None:
        outcome.problems.append("reads did not return to the replica within 30 s")
    else:
        outcome.recover_seconds = returned_at - started_at
    env = topology.env()
    on_primary = count_rows(env["DATABASE_URL"], "events_registration")
    on_replica = count_rows(env["DATABASE_REPLICA_URL"], "events_registration")
    if on_primary != on_replica:
        outcome.lost = f"replica has {on_replica} registrations, primary {on_primary}"
        outcome.problems.append(outcome.lost)
    outcome.problems += registration_check(topology, event["slug"], persons)
    outcome.notes.append(
        f"{len(early)} failed in the first 5 s; caught up in "
        f"{caught_up if caught_up is None else round(caught_up, 1)} s after the start"
    )
    return outcome


def drill_primary_restart(topology: topo.Topology, client: Client) -> Outcome:
    outcome = Outcome("3. primary restarted")
    db1 = topology.hosts["db1"]
    visitor = people(topology, "primary-visitor", 1)[0]
    persons = people(topology, "primary", 30)
    event = drill_data(topology, "event", "primary", "1000")
    app_pids = {n: topology.hosts[n].program_pid("lpa-gunicorn") for n in ("app1", "app2")}
    pages = [
        signed_in("/en/accounts/", visitor.session),
        signed_in("/en/events/?drill={n}", visitor.session),
        *PUBLIC_PAGES,
    ]
    load = Load(client, pages, threads=4, limit=60)
    with load.running():
        time.sleep(2)
        posters = [
            threading.Timer(random.uniform(0.0, 5.0), register, (client, person, event["url"], 15))
            for person in persons
        ]
        for poster in posters:
            poster.start()
        restarted_at = time.monotonic()
        db1.ctl("restart", "postgresql")
        back_at = time.monotonic()
        log(f"primary restarted in {back_at - restarted_at:.1f} s")

        def normal() -> bool:
            answer = client.request(
                "GET",
                f"/en/accounts/?after={time.monotonic()}",
                cookies={"sessionid": visitor.session},
            )
            return answer.status == 200

        recovered = wait_until(normal, 60, step=0.1)
        time.sleep(3)
        for poster in posters:
            poster.join(timeout=90)
    outcome.recover_seconds = None if recovered is None else back_at - restarted_at + recovered
    answers = load.answers
    # The 503 page (the portal's, in the page's language, or nginx's): it asks to retry.
    bad = [a for a in answers if not a.ok and not (a.status == 503 and a.header("Retry-After"))]
    outcome.requests = len(answers) + sum(len(p.posts) for p in persons)
    outcome.failed = len(load.failed()) + sum(1 for p in persons for s in p.posts if s != 302)
    unavailable = sum(1 for a in answers if a.status == 503)
    if bad:
        outcome.problems.append(
            f"{len(bad)} answers neither normal nor the 503 page: "
            + ", ".join(sorted({str(a.status or a.error) for a in bad}))
        )
    late = [a for a in load.failed() if recovered is not None and a.started > back_at + recovered]
    if late:
        outcome.problems.append(f"{len(late)} failed requests after the primary was back")
    if recovered is None:
        outcome.problems.append("no normal answer within 60 s of the restart")
    after = {n: topology.hosts[n].program_pid("lpa-gunicorn") for n in ("app1", "app2")}
    if after != app_pids:
        outcome.problems.append("an app process was restarted")
    problems = registration_check(topology, event["slug"], persons)
    outcome.problems += problems
    outcome.lost = "none" if not problems else "; ".join(problems)
    if not all(p.accepted for p in persons):
        outcome.problems.append("someone could not register once the primary was back")
    outcome.notes.append(
        f"{unavailable} answers were the 503 page while it was down; same app processes"
    )
    if wait_until(lambda: replica_streaming(topology), 60) is None:
        outcome.problems.append("the replica did not stream again within 60 s")
    return outcome


def sign_in(client: Client, email: str, password: str) -> Answer:
    page = client.request("GET", "/en/accounts/login/")
    token, csrf = TOKEN.search(page.body), cookie_from(page, "csrftoken")
    if not token or not csrf:
        return page
    return client.request(
        "POST",
        "/en/accounts/login/",
        cookies={"csrftoken": csrf},
        form={"csrfmiddlewaretoken": token.group(1).decode(), "login": email, "password": password},
    )


def cached_again(client: Client, path: str) -> bool:
    client.request("GET", path)
    return client.request("GET", path).header("X-Page-Cache") == "hit"


def public_download(client: Client) -> str:
    page = client.request("GET", "/en/resources/who-gmp-main-principles-trs-986-annex-2/")
    found = re.search(rb'href="(/en/resources/[^"]+/download/)"', page.body)
    if not found:
        raise topo.TopologyError("no download link on the demo resource page")
    return found.group(1).decode()


def drill_cache_down(topology: topo.Topology, client: Client) -> Outcome:
    outcome = Outcome(
        "4. Redis stopped" + (", then cut off" if topology.mode == "namespaces" else "")
    )
    cache = topology.hosts["cache"]
    visitor = people(topology, "cache-visitor", 1)[0]
    download = public_download(client)
    pages = [*PUBLIC_PAGES, signed_in("/en/accounts/", visitor.session)]
    failures: list[str] = []
    answers: list[Answer] = []

    def while_down(how: str) -> None:
        load = Load(client, pages, threads=4, limit=30)
        with load.running():
            time.sleep(1)
            account = client.request("GET", "/en/accounts/", cookies={"sessionid": visitor.session})
            if account.status != 200 or visitor.email.encode() not in account.body:
                failures.append(
                    f"{how}: the signed-in person's account page answered {account.status}"
                )
            refused = sign_in(client, "staff@lpa-portal.example", "lpa-demo-staff")
            if refused.status != 503 or TRY_AGAIN not in refused.body:
                failures.append(f"{how}: sign-in answered {refused.status}, not the message")
            if cookie_from(refused, "sessionid"):
                failures.append(f"{how}: sign-in opened a session")
            got = client.request("GET", download)
            if got.status != 200:
                failures.append(f"{how}: a download answered {got.status}")
            answers.extend([account, refused, got])
            time.sleep(3)
        answers.extend(load.answers)
        failed = load.failed()
        if failed:
            failures.append(f"{how}: {len(failed)} failed page requests")
        made = [a for a in load.answers if a.ok and a.header("X-Page-Cache") == "hit"]
        if made:
            failures.append(f"{how}: {len(made)} pages came from an unreachable cache")

    cache.ctl("stop", "redis")
    log("Redis stopped")
    while_down("stopped")
    back_at = time.monotonic()
    cache.ctl("start", "redis")
    if topology.mode == "namespaces":
        topo.wait_port(cache)
        cache.cut()
        log("Redis's host cut off the network")
        try:
            while_down("cut off")
        finally:
            back_at = time.monotonic()
            cache.reconnect()
        log("Redis's host back on the network")
    resumed = wait_until(lambda: cached_again(client, "/en/resources/"), 60, step=0.5)
    outcome.recover_seconds = resumed
    if resumed is None:
        failures.append("caching did not resume within 60 s")
    signed = sign_in(client, "staff@lpa-portal.example", "lpa-demo-staff")
    if signed.status != 302:
        failures.append(f"sign-in after the outage answered {signed.status}")
    account = client.request("GET", "/en/accounts/", cookies={"sessionid": visitor.session})
    if account.status != 200:
        outcome.lost = "a session"
        failures.append("the signed-in person was signed out")
    outcome.requests = len(answers) + 2
    outcome.failed = sum(1 for a in answers if not a.ok)
    outcome.problems = failures
    outcome.notes.append(
        f"caching resumed {resumed and round(resumed, 1)} s after Redis was back "
        f"({round(time.monotonic() - back_at, 1)} s ago)"
    )
    return outcome


class FormFields(HTMLParser):
    """The fields of one form of a page, with the values a browser would send."""

    def __init__(self, form_id: str) -> None:
        super().__init__()
        self.form_id, self.inside, self.fields = form_id, False, []
        self._select: str | None = None
        self._multiple = False
        self._textarea: str | None = None
        self._options: list[tuple[str, bool]] = []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and a.get("id") == self.form_id:
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio"):
                if "checked" in a:
                    self.fields.append((name, a.get("value", "on")))
            elif kind not in ("file", "submit", "button", "image"):
                self.fields.append((name, a.get("value", "")))
        elif tag == "select" and name:
            self._select, self._options = name, []
            self._multiple = "multiple" in a
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self._textarea = name
            self.fields.append((name, ""))

    def handle_data(self, data):
        if self._textarea and self.fields and self.fields[-1][0] == self._textarea:
            self.fields[-1] = (self._textarea, self.fields[-1][1] + data)

    def handle_endtag(self, tag):
        if tag == "form" and self.inside:
            self.inside = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select" and self._select:
            chosen = [value for value, selected in self._options if selected]
            if not chosen and not self._multiple and self._options:
                chosen = [self._options[0][0]]
            self.fields += [(self._select, value) for value in chosen]
            self._select = None


def multipart(fields: list[tuple[str, str]], files: dict[str, tuple[str, bytes, str]]):
    boundary = "----lpa-drill-" + hashlib.sha1(os.urandom(8)).hexdigest()  # noqa: S324
    parts = []
    for name, value in fields:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'
        parts.append(f"{head}{value}\r\n".encode())
    for name, (filename, content, kind) in files.items():
        parts.append(
            f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
            f'filename="{filename}"\r\nContent-Type: {kind}\r\n\r\n'.encode()
            + content
            + b"\r\n"
        )
    parts.append(f"--{boundary}--\r\n".encode())
    return b"".join(parts), f"multipart/form-data; boundary={boundary}"


def upload_resource(client: Client, session: str, title: str, pdf: bytes) -> Answer:
    """Staff add a resource with one file in the admin, as in a browser."""
    cookies = {"sessionid": session}
    page = client.request("GET", "/admin/repository/resource/add/", cookies=cookies)
    csrf = cookie_from(page, "csrftoken")
    parser = FormFields("resource_form")
    parser.feed(page.body.decode())
    fields = [(name, value) for name, value in parser.fields]
    overrides = {
        "title": title,
        "slug": re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-"),
        "kind": "guidance",
        # What the admin's "Add another file" button does in the browser.
        "files-TOTAL_FORMS": "1",
        "files-0-language": "en",
        "files-0-order": "0",
    }
    fields = [(n, overrides.pop(n, v)) for n, v in fields] + list(overrides.items())
    body, kind = multipart(fields, {"files-0-file": ("drill.pdf", pdf, "application/pdf")})
    return client.request(
        "POST",
        "/admin/repository/resource/add/",
        cookies={**cookies, "csrftoken": csrf or ""},
        body=body,
        headers={"Content-Type": kind},
        timeout=60,
    )


def pdf_bytes(text: str) -> bytes:
    """A real one-page PDF (fpdf2, as the portal's certificates)."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("helvetica", size=12)
    pdf.add_page()
    pdf.multi_cell(0, 8, text)
    return bytes(pdf.output())


def bucket_objects(topology: topo.Topology, bucket_variable: str) -> dict[str, int]:
    env = topology.env()
    client = topo.backup.s3_client(env)
    found = {}
    for page in client.get_paginator("list_objects_v2").paginate(Bucket=env[bucket_variable]):
        for item in page.get("Contents", []):
            found[item["Key"]] = item["Size"]
    return found


def drill_store_down(topology: topo.Topology, client: Client) -> Outcome:
    namespaces = topology.mode == "namespaces"
    outcome = Outcome("5. object store " + ("cut off the network" if namespaces else "frozen"))
    store = topology.hosts["store"]
    staff = drill_data(topology, "staff-session")["session"]
    download = public_download(client)
    before = client.request("GET", download)
    objects_before = bucket_objects(topology, "AWS_PROTECTED_BUCKET_NAME")
    title = f"Failure drill upload {int(time.time())}"
    pdf = pdf_bytes("Failure drill upload")
    load = Load(client, PUBLIC_PAGES, threads=3, limit=60)
    pid = store.program_pid("objectstore")
    with load.running():
        time.sleep(1)
        if namespaces:
            store.cut()
        else:
            os.kill(pid, signal.SIGSTOP)
        log("object store away")
        try:
            refused_download = client.request("GET", download)
            refused_upload = upload_resource(client, staff, title, pdf)
            time.sleep(1)
        finally:
            back_at = time.monotonic()
            if namespaces:
                store.reconnect()
            else:
                os.kill(pid, signal.SIGCONT)
            log("object store back")
        recovered = wait_until(lambda: client.request("GET", download).status == 200, 60)
    outcome.recover_seconds = recovered
    if refused_download.status != 503 or FILES_UNAVAILABLE not in refused_download.body:
        outcome.problems.append(
            f"a download while the store was away answered {refused_download.status}"
        )
    if refused_upload.status != 200 or STORE_REFUSED not in refused_upload.body:
        outcome.problems.append(
            f"an upload while the store was away answered {refused_upload.status} "
            "without the message"
        )
    left = drill_data(topology, "resources", title)
    objects_between = bucket_objects(topology, "AWS_PROTECTED_BUCKET_NAME")
    if left["resources"] or left["files"] or set(objects_between) != set(objects_before):
        outcome.lost = "a half-made upload was left"
        outcome.problems.append(
            f"the refused upload left {left['resources']} resources, {left['files']} files, "
            f"{len(set(objects_between) - set(objects_before))} objects"
        )
    failed = load.failed()
    if failed:
        outcome.problems.append(f"{len(failed)} failed page requests while the store was away")
    if recovered is None:
        outcome.problems.append("downloads did not work again within 60 s")
    after = client.request("GET", download)
    if (
        after.status != 200
        or hashlib.sha256(after.body).digest() != hashlib.sha256(before.body).digest()
    ):
        outcome.lost = "a file"
        outcome.problems.append("the file downloaded after the outage differs")
    accepted = upload_resource(client, staff, title, pdf)
    made = drill_data(topology, "resources", title)
    objects_after = bucket_objects(topology, "AWS_PROTECTED_BUCKET_NAME")
    new = set(objects_after) - set(objects_before)
    if accepted.status != 302 or made["resources"] != 1 or made["files"] != 1 or len(new) != 1:
        outcome.problems.append(
            f"the upload after the outage answered {accepted.status}: {made['resources']} "
            f"resources, {made['files']} files, {len(new)} new objects"
        )
    elif objects_after[new.pop()] != len(pdf):
        outcome.problems.append("the uploaded object is not the file uploaded")
    outcome.requests = len(load.answers) + 6
    outcome.failed = len(failed) + 2
    outcome.notes.append(
        f"download and upload refused with clear pages; downloads back "
        f"{recovered and round(recovered, 1)} s after the store ("
        f"{round(time.monotonic() - back_at, 1)} s ago)"
    )
    return outcome


def drill_storm(topology: topo.Topology, client: Client) -> Outcome:
    outcome = Outcome("6. registration storm: 300 people, 50 seats")
    seats, crowd = 50, 300
    event = drill_data(topology, "event", "storm", str(seats))
    persons = people(topology, "storm", crowd)
    log_file = topo.RUN_DIR / "hosts" / "lb" / "logs" / "access.log"
    log_start = log_file.stat().st_size if log_file.exists() else 0

    prepared: list[tuple[Person, str, str]] = []
    lock = threading.Lock()

    def prepare(person: Person) -> None:
        page = client.request("GET", event["url"], cookies={"sessionid": person.session})
        token, csrf = TOKEN.search(page.body), cookie_from(page, "csrftoken")
        if page.status == 200 and token and csrf:
            with lock:
                prepared.append((person, csrf, token.group(1).decode()))

    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(prepare, persons))
    if len(prepared) != crowd:
        outcome.problems.append(f"only {len(prepared)} of {crowd} people got the form")
    barrier = threading.Barrier(len(prepared) + 1)

    def post(person: Person, csrf: str, token: str) -> None:
        barrier.wait(timeout=60)
        answer = client.request(
            "POST",
            event["url"],
            cookies={"sessionid": person.session, "csrftoken": csrf},
            form={"csrfmiddlewaretoken": token, "consent": "on"},
            timeout=120,
        )
        person.posts.append(answer.status)

    threads = [threading.Thread(target=post, args=item, daemon=True) for item in prepared]
    for thread in threads:
        thread.start()
    barrier.wait(timeout=60)
    started = time.monotonic()
    for thread in threads:
        thread.join(timeout=180)
    seconds = time.monotonic() - started
    statuses: dict[int, int] = {}
    for person in persons:
        for status in person.posts:
            statuses[status] = statuses.get(status, 0) + 1
    rows = drill_data(topology, "registrations", event["slug"])["rows"]
    ordered = [row["status"] for row in rows]
    expected = ["confirmed"] * seats + ["waitlisted"] * (crowd - seats)
    if statuses != {302: crowd}:
        outcome.problems.append(f"answers by status: {statuses}")
    if ordered != expected:
        outcome.problems.append(
            f"{ordered.count('confirmed')} confirmed, {ordered.count('waitlisted')} waitlisted "
            "(or not in arrival order)"
        )
    waitlisted = [row for row in rows if row["status"] == "waitlisted"]
    if [row["pk"] for row in rows] != sorted(row["pk"] for row in rows) or any(
        a["waitlisted_at"] > b["waitlisted_at"] for a, b in itertools.pairwise(waitlisted)
    ):
        outcome.problems.append("the waiting list is not in arrival order")
    emails = [row for row in rows if row["emails_queued"] != 1]
    if emails or len({row["email"] for row in rows}) != len(rows):
        outcome.lost = f"{len(emails)} registrations without exactly one email"
        outcome.problems.append(outcome.lost)
    upstreams: dict[str, int] = {}
    with log_file.open() as lines:
        lines.seek(log_start)
        for line in lines:
            if f'"POST {event["url"]} ' in line:
                found = re.search(r"upstream=([^/ ]+)", line)
                if found:
                    upstreams[found.group(1)] = upstreams.get(found.group(1), 0) + 1
    if len(upstreams) < 2:
        outcome.problems.append(f"the posts reached only {list(upstreams)}")
    sent = wait_until(
        lambda: all(
            r["emails_sent"] == 1
            for r in drill_data(topology, "registrations", event["slug"])["rows"]
        ),
        90,
        step=2,
    )
    outcome.requests = crowd * 2
    outcome.failed = sum(count for status, count in statuses.items() if status != 302)
    outcome.recover_seconds = None
    outcome.notes.append(
        f"answered in {seconds:.1f} s; posts per app server: "
        + ", ".join(f"{k} {v}" for k, v in sorted(upstreams.items()))
        + (
            f"; all {crowd} emails sent by the task workers {sent:.0f} s later"
            if sent is not None
            else "; emails not all sent within 90 s"
        )
    )
    return outcome


def restore_into_fresh(source: Path) -> dict:
    """Restore a backup into a PostgreSQL cluster and an object store made for the purpose (on
    this machine's loopback), compare it with the backup's manifest, and remove them."""
    from tests.pgcluster import throwaway_cluster

    port = topo._free_port()
    store = subprocess.Popen(
        [str(topo.VENV / "bin" / "moto_server"), "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        with throwaway_cluster() as url:
            env = {
                "DATABASE_URL": url.rsplit("/", 1)[0] + "/restored",
                "AWS_S3_ENDPOINT_URL": f"http://127.0.0.1:{port}",
                "AWS_S3_REGION_NAME": "us-east-1",
                "AWS_S3_ADDRESSING_STYLE": "path",
                "AWS_ACCESS_KEY_ID": "restore",
                "AWS_SECRET_ACCESS_KEY": "restore-check",
                "AWS_STORAGE_BUCKET_NAME": "restored-public",
                "AWS_PROTECTED_BUCKET_NAME": "restored-protected",
            }
            import psycopg2

            connection = psycopg2.connect(url)
            connection.autocommit = True
            with connection.cursor() as cursor:
                cursor.execute("CREATE DATABASE restored")
            connection.close()
            topo.wait_port(topo.Host("store", "127.0.0.1", port), timeout=30)
            return topo.backup.restore(source, env)
    finally:
        store.terminate()
        store.wait(timeout=30)


def drill_backup_restore(topology: topo.Topology, client: Client) -> Outcome:
    backup = topo.backup
    outcome = Outcome("7. backup under traffic, restore into a fresh cluster and store")
    persons = people(topology, "backup", 20)
    event = drill_data(topology, "event", "backup", "1000")
    load = Load(client, PUBLIC_PAGES, threads=2, limit=120)
    with tempfile.TemporaryDirectory(prefix="lpa-drill-backup-") as tmp:
        target = Path(tmp) / "backup"
        with load.running():
            posters = [
                threading.Timer(
                    random.uniform(0.0, 3.0), register, (client, person, event["url"], 3)
                )
                for person in persons
            ]
            for poster in posters:
                poster.start()
            manifest = backup.backup(topology.env(), target)
            for poster in posters:
                poster.join(timeout=60)
        started = time.monotonic()
        report = restore_into_fresh(target)
        outcome.recover_seconds = time.monotonic() - started
    outcome.requests = len(load.answers) + sum(len(p.posts) for p in persons)
    outcome.failed = len(load.failed()) + sum(1 for p in persons for s in p.posts if s != 302)
    if report["problems"]:
        outcome.lost = "; ".join(report["problems"])
        outcome.problems += report["problems"]
    if load.failed():
        outcome.problems.append(f"{len(load.failed())} failed requests during the backup")
    outcome.notes.append(
        f"{len(manifest['tables'])} tables, {sum(manifest['tables'].values())} rows, "
        f"{sum(len(b) for b in manifest['buckets'].values())} files: all equal after restore"
        if not report["problems"]
        else "restore differs"
    )
    return outcome


DRILLS = {
    "app-killed": drill_app_killed,
    "replica-down": drill_replica_down,
    "primary-restart": drill_primary_restart,
    "cache-down": drill_cache_down,
    "store-down": drill_store_down,
    "storm": drill_storm,
    "backup-restore": drill_backup_restore,
}


def table(outcomes: list[Outcome], mode: str) -> str:
    lines = [
        f"Failure drills on the production topology ({mode}):",
        "",
        "| drill | requests | failed requests | data lost | time to recover | result |",
        "|---|---:|---:|---|---:|---|",
    ]
    for o in outcomes:
        recover = "–" if o.recover_seconds is None else f"{o.recover_seconds:.1f} s"
        result = "passed" if o.passed else "FAILED: " + "; ".join(o.problems)
        lines.append(f"| {o.drill} | {o.requests} | {o.failed} | {o.lost} | {recover} | {result} |")
    lines.append("")
    lines += [f"- {o.drill.split('.')[0]}: {note}" for o in outcomes for note in o.notes]
    return "\n".join(lines)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("drills", nargs="*", help="numbers or names; default: all")
    parser.add_argument("--keep", action="store_true", help="leave a started topology running")
    args = parser.parse_args(argv)
    names = list(DRILLS)
    chosen = [names[int(d) - 1] if d.isdigit() else d for d in args.drills] or names
    unknown = [d for d in chosen if d not in DRILLS]
    if unknown:
        print(f"unknown drills {unknown}; choose among {names}", file=sys.stderr)
        return 2
    topology = topo.Topology.load()
    started_here = topology is None or not topology.running()
    if started_here:
        log("no production topology running: starting one (make prod-up)")
        if topo.up() != 0:
            return 1
        topology = topo.Topology.load()
    began = time.monotonic()
    outcomes = []
    try:
        client = Client(topology)
        topology.wait_healthy()
        for name in chosen:
            log(f"drill {name}")
            try:
                outcome = DRILLS[name](topology, client)
            except Exception as error:  # a drill that breaks is a failed drill
                outcome = Outcome(name, problems=[f"{type(error).__name__}: {error}"])
                log(f"drill {name} broke: {error!r}")
            outcomes.append(outcome)
            log(f"{name}: {'passed' if outcome.passed else 'FAILED ' + str(outcome.problems)}")
            topology.wait_healthy(timeout=120)
    finally:
        if started_here and not args.keep:
            topo.down()
    print(table(outcomes, topology.mode))
    print(f"\n{len(outcomes)} drills in {time.monotonic() - began:.0f} s.")
    return 0 if all(o.passed for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
