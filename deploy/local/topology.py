"""The production topology of LPA Portal on one machine, run as it runs on several:
`make prod-up`, `make prod-down`, `make prod-status`.

    python deploy/local/topology.py up [--from-backup DIR]
    python deploy/local/topology.py down
    python deploy/local/topology.py status
    python deploy/local/topology.py env-file      # prints the path of the running one's settings

Seven hosts, each running its own supervisord (as a machine runs its init system), which keeps
that host's programs running:

    lb      nginx: the load balancer in front of app1 and app2, static files, X-Accel-Redirect
    app1    gunicorn, a db_worker and the scheduled commands (deploy/supervisor/lpa-portal.conf)
    app2    the same
    db1     PostgreSQL 15, the primary
    db2     PostgreSQL 15, a streaming replica of db1 (pg_basebackup, a replication slot)
    cache   Redis, the shared cache
    store   an S3-compatible object store (moto's standalone server), two buckets

Network: as root, each host is a network namespace (`ip netns`) with its own address on a bridge
(veth pairs), so that every engine is reached by address, as on separate machines, and a host
can be cut off the network (`ip link set ... down`). Without root (or LPA_PROD_NETWORK=loopback)
every host listens on 127.0.0.1, each on a free port.

The configuration files are those of deploy/ (nginx, supervisor, PostgreSQL, Redis), rendered by
deploy/render.py from one environment file (RUN_DIR/portal.env), which is also every app
process's ENV_FILE. Everything lives in RUN_DIR (/tmp/lpa-prod-<id>): the rendered files, the
data of PostgreSQL, the logs; `down` stops every supervisord it started by its process id (and
so their programs), removes the namespaces and the bridge, and deletes RUN_DIR.

The module is also the library of the failure drills (deploy/local/drills.py) and of the
benchmark's BENCH_TARGET=prod: `Topology.load()` describes the running topology.
"""

from __future__ import annotations

import argparse
import contextlib
import hashlib
import http.client
import json
import os
import pwd
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(DEPLOY))

import backup  # noqa: E402
from render import read_env_file, render  # noqa: E402

from tests.pgcluster import find_pg_bin  # noqa: E402

VENV = ROOT / ".venv"
PYTHON = VENV / "bin" / "python"
IDENT = hashlib.sha1(str(ROOT).encode()).hexdigest()[:4]  # noqa: S324 (a name, not a secret)
# In the temporary folder, which the servers' users (postgres, nobody) can reach, unlike a
# checkout under /root.
RUN_DIR = Path(os.environ.get("LPA_PROD_DIR") or Path(tempfile.gettempdir()) / f"lpa-prod-{IDENT}")
STATE = RUN_DIR / "topology.json"
HOSTS = ("db1", "db2", "cache", "store", "app1", "app2", "lb")
# The last byte of each host's address in namespace mode.
HOST_NUMBERS = {"lb": 10, "app1": 11, "app2": 12, "db1": 21, "db2": 22, "cache": 31, "store": 41}
STANDARD_PORTS = {"lb": 80, "app": 8000, "db": 5432, "cache": 6379, "store": 9000}
DATABASE = "lpa"
DB_USER = "lpa"
REPLICATION_USER = "replicator"
REPLICATION_SLOT = "lpa_replica"
PUBLIC_BUCKET = "lpa-public"
PROTECTED_BUCKET = "lpa-protected"
DEMO_SIGN_INS = (
    ("demo staff (superuser)", "staff@lpa-portal.example", "lpa-demo-staff"),
    ("demo Event manager", "events@lpa-portal.example", "lpa-demo-staff"),
    ("demo Content editor", "content@lpa-portal.example", "lpa-demo-staff"),
    ("demo user (regulator)", "fatou.regulator@demo.example", "lpa-demo-user"),
)


def log(message: str) -> None:
    print(f"[prod {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


class TopologyError(RuntimeError):
    pass


# --------------------------------------------------------------------------- hosts


@dataclass
class Host:
    """One machine of the topology: its address, its network namespace (None on the loopback)
    and its supervisord."""

    name: str
    address: str
    port: int
    namespace: str | None = None
    veth: str | None = None

    @property
    def directory(self) -> Path:
        return RUN_DIR / "hosts" / self.name

    @property
    def supervisord_conf(self) -> Path:
        return self.directory / "supervisord.conf"

    @property
    def endpoint(self) -> str:
        return f"{self.address}:{self.port}"

    def command(self, argv: list[str]) -> list[str]:
        """`argv` run on this host (inside its namespace)."""
        return ["ip", "netns", "exec", self.namespace, *argv] if self.namespace else list(argv)

    def run(self, argv: list[str], **kwargs) -> subprocess.CompletedProcess:
        kwargs.setdefault("check", True)
        return subprocess.run(self.command(argv), **kwargs)

    def ctl(self, *args: str, check: bool = True) -> str:
        """supervisorctl of this host (its socket is a file: reachable from any namespace)."""
        result = subprocess.run(
            ["supervisorctl", "-c", str(self.supervisord_conf), *args],
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        # supervisorctl exits non-zero when a program is not running, as `status` shows.
        if check and result.returncode not in (0, 3):
            raise TopologyError(
                f"supervisorctl {' '.join(args)} on {self.name}: {result.stdout}{result.stderr}"
            )
        return result.stdout

    def supervisord_pid(self) -> int | None:
        try:
            pid = int((self.directory / "supervisord.pid").read_text().strip())
        except (OSError, ValueError):
            return None
        return pid if _alive(pid) else None

    def program_pid(self, program: str) -> int | None:
        output = self.ctl("pid", program, check=False).strip()
        return int(output) if output.isdigit() and int(output) > 0 else None

    def cut(self) -> None:
        """Cut this host off the network (namespace mode): its link goes down."""
        if not self.veth:
            raise TopologyError("only hosts in network namespaces can be cut off the network")
        subprocess.run(["ip", "link", "set", self.veth, "down"], check=True)

    def reconnect(self) -> None:
        if self.veth:
            subprocess.run(["ip", "link", "set", self.veth, "up"], check=True)
            subprocess.run(["ip", "link", "set", self.veth, "master", bridge_name()], check=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (OSError, IndexError):
        return True
    return state != "Z"


def bridge_name() -> str:
    return f"lpa{IDENT}-br"


# --------------------------------------------------------------------------- the topology


@dataclass
class Topology:
    mode: str  # "namespaces" or "loopback"
    hosts: dict[str, Host]
    subnet: str = ""
    started_at: float = 0.0
    seconds_to_start: float = 0.0
    app_user: str = ""
    env_file: str = str(RUN_DIR / "portal.env")
    pids: dict[str, int] = field(default_factory=dict)

    # --- description

    @property
    def url(self) -> str:
        lb = self.hosts["lb"]
        return f"http://{lb.address}" + ("" if lb.port == 80 else f":{lb.port}")

    def env(self) -> dict[str, str]:
        return read_env_file(Path(self.env_file))

    def portal_env(self, **overrides: str) -> dict[str, str]:
        """The environment of a process of the portal run from this machine's own namespace
        (migrations, the drills' helpers), with the settings of the topology."""
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST", "DJANGO"))}
        # The settings come from the file; nothing of the caller's environment may override it.
        for name in self.env():
            env.pop(name, None)
        env.update(ENV_FILE=self.env_file, DJANGO_SETTINGS_MODULE="lpa_portal.settings")
        env.update(overrides)
        return env

    def manage(self, *args: str, capture: bool = False, **overrides: str) -> str:
        result = subprocess.run(
            [str(PYTHON), "manage.py", *args],
            cwd=ROOT,
            env=self.portal_env(**overrides),
            check=False,
            text=True,
            stdout=subprocess.PIPE if capture else None,
            stderr=subprocess.PIPE if capture else None,
        )
        if result.returncode != 0:
            raise TopologyError(
                f"manage.py {' '.join(args)} failed (exit {result.returncode})"
                + (f":\n{result.stderr[-3000:]}" if capture else "")
            )
        return result.stdout or ""

    def save(self) -> None:
        data = asdict(self)
        STATE.write_text(json.dumps(data, indent=2))

    @classmethod
    def load(cls) -> Topology | None:
        try:
            data = json.loads(STATE.read_text())
        except (OSError, ValueError):
            return None
        data["hosts"] = {name: Host(**host) for name, host in data["hosts"].items()}
        return cls(**data)

    def reconfigure(self, **values: str) -> None:
        """Change settings in the environment file and restart the app servers' gunicorns
        with them (the benchmark's passes)."""
        path = Path(self.env_file)
        lines = path.read_text().splitlines()
        for name, value in values.items():
            lines = [line for line in lines if not line.startswith(f"{name}=")]
            lines.append(f"{name}={value}")
        path.write_text("\n".join(lines) + "\n")
        for name in ("app1", "app2"):
            self.hosts[name].ctl("restart", "lpa-gunicorn")
        self.wait_healthy()

    def running(self) -> bool:
        return any(host.supervisord_pid() for host in self.hosts.values())

    # --- health

    def http(self, method: str, path: str, *, host: Host | None = None, timeout=10, **kwargs):
        """A request to nginx (or to one host's port); returns status, headers, body."""
        target = host or self.hosts["lb"]
        lb = self.hosts["lb"]
        headers = {
            "Host": lb.address if lb.port == 80 else lb.endpoint,
            **kwargs.pop("headers", {}),
        }
        connection = http.client.HTTPConnection(target.address, target.port, timeout=timeout)
        try:
            connection.request(method, path, headers=headers, **kwargs)
            response = connection.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            connection.close()

    def wait_healthy(self, timeout: float = 90) -> None:
        """Until nginx and every app server answer /healthz."""
        deadline = time.monotonic() + timeout
        targets = [self.hosts["app1"], self.hosts["app2"], None]
        while targets:
            target = targets[0]
            try:
                status, _headers, _body = self.http("GET", "/healthz", host=target, timeout=5)
            except OSError:
                status = 0
            if status == 200:
                targets.pop(0)
                continue
            if time.monotonic() > deadline:
                name = target.name if target else "nginx"
                raise TopologyError(f"{name} does not answer /healthz within {timeout:.0f} s")
            time.sleep(0.3)


# --------------------------------------------------------------------------- network


def _namespaces_possible() -> bool:
    if os.geteuid() != 0 or shutil.which("ip") is None:
        return False
    probe = f"lpa{IDENT}-probe"
    created = subprocess.run(["ip", "netns", "add", probe], capture_output=True, check=False)
    if created.returncode != 0:
        return False
    subprocess.run(["ip", "netns", "del", probe], capture_output=True, check=False)
    return True


def _free_subnet() -> str:
    """A /24 of 10.231.0.0/16 that no interface or route of this machine uses."""
    used = subprocess.run(
        ["ip", "-4", "-o", "addr"], capture_output=True, text=True, check=True
    ).stdout
    used += subprocess.run(["ip", "-4", "route"], capture_output=True, text=True, check=True).stdout
    start = int(IDENT, 16) % 200 + 20
    for offset in range(200):
        candidate = f"10.231.{(start + offset) % 250 + 1}"
        if f"{candidate}." not in used:
            return candidate
    raise TopologyError("no free 10.231.x.0/24 subnet for the namespaces")


def _make_network(subnet: str) -> dict[str, Host]:
    bridge = bridge_name()
    subprocess.run(["ip", "link", "add", bridge, "type", "bridge"], check=True)
    subprocess.run(["ip", "addr", "add", f"{subnet}.1/24", "dev", bridge], check=True)
    subprocess.run(["ip", "link", "set", bridge, "up"], check=True)
    hosts = {}
    for name in HOSTS:
        namespace, veth = f"lpa{IDENT}-{name}", f"lpa{IDENT}-{name}"
        address = f"{subnet}.{HOST_NUMBERS[name]}"
        subprocess.run(["ip", "netns", "add", namespace], check=True)
        subprocess.run(
            ["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", namespace],
            check=True,
        )
        subprocess.run(["ip", "link", "set", veth, "master", bridge, "up"], check=True)
        inside = ["ip", "-n", namespace]
        subprocess.run([*inside, "addr", "add", f"{address}/24", "dev", "eth0"], check=True)
        subprocess.run([*inside, "link", "set", "eth0", "up"], check=True)
        subprocess.run([*inside, "link", "set", "lo", "up"], check=True)
        hosts[name] = Host(name, address, _standard_port(name), namespace, veth)
    return hosts


def _remove_network(topology: Topology | None) -> None:
    names = [f"lpa{IDENT}-{name}" for name in HOSTS]
    existing = subprocess.run(
        ["ip", "netns", "list"], capture_output=True, text=True, check=False
    ).stdout
    for namespace in names:
        if namespace in existing:
            # Anything still running in a namespace of ours was started by us: ended by its id.
            pids = subprocess.run(
                ["ip", "netns", "pids", namespace], capture_output=True, text=True, check=False
            ).stdout.split()
            for pid in pids:
                with contextlib.suppress(ProcessLookupError, ValueError):
                    os.kill(int(pid), signal.SIGKILL)
            subprocess.run(["ip", "netns", "del", namespace], check=False)
    links = subprocess.run(["ip", "-o", "link"], capture_output=True, text=True).stdout
    for name in [*names, bridge_name()]:
        if f" {name}:" in links or f" {name}@" in links:
            subprocess.run(["ip", "link", "del", name], check=False, capture_output=True)


def _standard_port(name: str) -> int:
    kind = "app" if name.startswith("app") else "db" if name.startswith("db") else name
    return STANDARD_PORTS[kind]


def _loopback_hosts() -> dict[str, Host]:
    ports: set[int] = set()
    hosts = {}
    for name in HOSTS:
        port = _free_port()
        while port in ports:
            port = _free_port()
        ports.add(port)
        hosts[name] = Host(name, "127.0.0.1", port)
    return hosts


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# --------------------------------------------------------------------------- users


def _service_user(name: str) -> pwd.struct_passwd | None:
    """The unprivileged user a server runs as when we are root (None: as ourselves)."""
    if os.geteuid() != 0:
        return None
    for candidate in (name, "nobody"):
        with contextlib.suppress(KeyError):
            return pwd.getpwnam(candidate)
    raise TopologyError(f"running as root, but there is no '{name}' or 'nobody' user")


def _app_user() -> pwd.struct_passwd | None:
    """The app servers run as `nobody` when root (they need to write nothing), unless that user
    cannot run the project's Python (e.g. a Python installed under /root): then as root."""
    user = _service_user("nobody")
    if user is None:
        return None
    try:
        # As supervisord starts them: setuid, then exec.
        probe = subprocess.run(
            [str(PYTHON), "-c", "import django"],
            cwd=ROOT,
            capture_output=True,
            check=False,
            user=user.pw_uid,
            group=user.pw_gid,
            extra_groups=[],
        )
    except PermissionError:
        probe = None
    if probe is None or probe.returncode != 0:
        log("the app servers run as root: user nobody cannot run .venv/bin/python here")
        return None
    return user


def _as_user(user: pwd.struct_passwd | None, argv: list[str]) -> list[str]:
    """argv run as `user` with nothing in between (signals reach it directly)."""
    if user is None:
        return argv
    return [
        "setpriv",
        f"--reuid={user.pw_uid}",
        f"--regid={user.pw_gid}",
        "--init-groups",
        "--",
        *argv,
    ]


def _chown(path: Path, user: pwd.struct_passwd | None) -> None:
    if user is not None:
        os.chown(path, user.pw_uid, user.pw_gid)


# --------------------------------------------------------------------------- supervisord

SUPERVISORD = """\
; supervisord of the host {{HOST}} (written by deploy/local/topology.py)
[unix_http_server]
file={{DIR}}/supervisor.sock
chmod=0700

[supervisord]
logfile={{DIR}}/supervisord.log
pidfile={{DIR}}/supervisord.pid
childlogdir={{DIR}}/logs
identifier={{HOST}}

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{{DIR}}/supervisor.sock

[include]
files = {{DIR}}/programs.conf
"""

# How the engines run here. In production they are Debian's packages under systemd, with the
# configuration files of deploy/ (these programs start them with exactly those files).
POSTGRESQL_PROGRAM = """\
[program:postgresql]
command={{COMMAND}}
autorestart=true
startsecs=2
; SIGINT: PostgreSQL's fast shutdown (ends the sessions, checkpoints, exits).
stopsignal=INT
stopwaitsecs=60
redirect_stderr=true
stdout_logfile={{DIR}}/logs/postgresql.log
"""

REDIS_PROGRAM = """\
[program:redis]
command={{COMMAND}}
autorestart=true
startsecs=1
stopsignal=TERM
stopwaitsecs=30
redirect_stderr=true
stdout_logfile={{DIR}}/logs/redis.log
"""

STORE_PROGRAM = """\
[program:objectstore]
command={{COMMAND}}
autorestart=true
startsecs=2
stopsignal=TERM
stopwaitsecs=10
redirect_stderr=true
stdout_logfile={{DIR}}/logs/objectstore.log
"""

NGINX_PROGRAM = """\
[program:nginx]
command={{COMMAND}}
autorestart=true
startsecs=1
; SIGQUIT: nginx finishes the requests in flight, then exits.
stopsignal=QUIT
stopwaitsecs=30
redirect_stderr=true
stdout_logfile={{DIR}}/logs/nginx.log
"""

NGINX_MAIN = """\
# nginx's main file on the host lb (written by deploy/local/topology.py; Debian's own
# /etc/nginx/nginx.conf plays this part in production and includes the site the same way).
{{USER_LINE}}
worker_processes 2;
pid {{DIR}}/nginx.pid;
error_log {{DIR}}/logs/nginx-error.log warn;
events { worker_connections 1024; }
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    sendfile on;
    tcp_nopush on;
    keepalive_timeout 65;
    gzip on;
    gzip_types text/css application/javascript application/json image/svg+xml text/plain;
    access_log {{DIR}}/logs/nginx-access.log;
    client_body_temp_path {{DIR}}/nginx/body;
    proxy_temp_path {{DIR}}/nginx/proxy;
    fastcgi_temp_path {{DIR}}/nginx/fastcgi;
    uwsgi_temp_path {{DIR}}/nginx/uwsgi;
    scgi_temp_path {{DIR}}/nginx/scgi;
    include {{DIR}}/lpa-portal.conf;
}
"""


def _write(path: Path, text: str, mode: int = 0o644) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    path.chmod(mode)
    return path


def _render_file(template: Path, target: Path, values: dict[str, str], mode: int = 0o644) -> Path:
    return _write(target, render(template.read_text(), values), mode)


def _start_supervisord(host: Host, programs: str) -> int:
    host.directory.mkdir(parents=True, exist_ok=True)
    (host.directory / "logs").mkdir(exist_ok=True)
    values = {"HOST": host.name, "DIR": str(host.directory)}
    _write(host.supervisord_conf, render(SUPERVISORD, values))
    _write(host.directory / "programs.conf", programs)
    clean_env = {
        "PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "LANG": "C.UTF-8",
        "HOME": str(RUN_DIR),
    }
    host.run(["supervisord", "-c", str(host.supervisord_conf)], env=clean_env)
    deadline = time.monotonic() + 20
    while (pid := host.supervisord_pid()) is None:
        if time.monotonic() > deadline:
            raise TopologyError(f"supervisord of {host.name} did not start")
        time.sleep(0.1)
    return pid


def wait_program(host: Host, program: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        status = host.ctl("status", program, check=False)
        if "RUNNING" in status:
            return
        if "FATAL" in status or "BACKOFF" in status or time.monotonic() > deadline:
            tail = host.ctl("tail", "-3000", program, check=False)
            raise TopologyError(f"{program} on {host.name} is not running: {status}\n{tail}")
        time.sleep(0.2)


def wait_port(host: Host, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            socket.create_connection((host.address, host.port), timeout=1).close()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise TopologyError(
                    f"{host.name} does not accept connections on {host.endpoint}"
                ) from None
            time.sleep(0.2)


# --------------------------------------------------------------------------- the engines


def _postgres(topology: Topology, values: dict[str, str]) -> None:
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise TopologyError("PostgreSQL server binaries not found (apt-get install postgresql)")
    user = _service_user("postgres")
    superuser = user.pw_name if user else pwd.getpwuid(os.geteuid()).pw_name
    primary, replica = topology.hosts["db1"], topology.hosts["db2"]
    clients = f"{topology.subnet}.0/24" if topology.mode == "namespaces" else "127.0.0.1/32"

    def conf_values(host: Host) -> dict[str, str]:
        return {
            **values,
            "PG_LISTEN": host.address,
            "PG_PORT": str(host.port),
            "PG_SOCKET_DIR": str(host.directory),
            "PG_SUPERUSER": superuser,
            "PG_DATABASE": DATABASE,
            "PG_USER": DB_USER,
            "PG_REPLICATION_USER": REPLICATION_USER,
            "PG_CLIENTS": clients,
        }

    def program(host: Host) -> str:
        command = " ".join(
            _as_user(user, [str(pg_bin / "postgres"), "-D", str(host.directory / "data")])
        )
        return render(POSTGRESQL_PROGRAM, {"COMMAND": command, "DIR": str(host.directory)})

    def configure(host: Host) -> None:
        data = host.directory / "data"
        conf = _render_file(
            DEPLOY / "postgresql" / "lpa.conf", host.directory / "lpa.conf", conf_values(host)
        )
        _render_file(
            DEPLOY / "postgresql" / "pg_hba.conf", data / "pg_hba.conf", conf_values(host), 0o600
        )
        _chown(data / "pg_hba.conf", user)
        with (data / "postgresql.conf").open("a") as main:
            main.write(f"\n# LPA Portal (deploy/postgresql/lpa.conf)\ninclude '{conf}'\n")

    for host in (primary, replica):
        host.directory.mkdir(parents=True, exist_ok=True)
        (host.directory / "logs").mkdir(exist_ok=True)
        _chown(host.directory, user)

    log(f"db1: initdb, PostgreSQL primary on {primary.endpoint}")
    data = primary.directory / "data"
    primary.run(
        _as_user(
            user,
            [
                str(pg_bin / "initdb"),
                "-D",
                str(data),
                "-U",
                superuser,
                "-E",
                "UTF8",
                "--locale=C.UTF-8",
                "--auth-local=peer",
                "--auth-host=scram-sha-256",
            ],
        ),
        cwd="/",
        stdout=subprocess.DEVNULL,
    )
    configure(primary)
    topology.pids["db1"] = _start_supervisord(primary, program(primary))
    wait_program(primary, "postgresql")
    wait_port(primary)
    passwords = {
        DB_USER: values["PG_PASSWORD"],
        REPLICATION_USER: values["PG_REPLICATION_PASSWORD"],
    }
    sql = (
        f"CREATE ROLE {DB_USER} LOGIN PASSWORD '{passwords[DB_USER]}';"
        f"CREATE DATABASE {DATABASE} OWNER {DB_USER};"
        # The portal measures the replica's lag (lpa_portal/db_router.py).
        f"GRANT pg_monitor TO {DB_USER};"
        f"CREATE ROLE {REPLICATION_USER} REPLICATION LOGIN "
        f"PASSWORD '{passwords[REPLICATION_USER]}';"
    )
    for statement in sql.split(";")[:-1]:
        primary.run(
            _as_user(
                user,
                [
                    str(pg_bin / "psql"),
                    "-X",
                    "-q",
                    "-h",
                    str(primary.directory),
                    "-p",
                    str(primary.port),
                    "-U",
                    superuser,
                    "-d",
                    "postgres",
                    "-v",
                    "ON_ERROR_STOP=1",
                    "-c",
                    statement,
                ],
            ),
            cwd="/",
        )

    log(f"db2: pg_basebackup from db1, streaming replica on {replica.endpoint}")
    replica.run(
        _as_user(
            user,
            [
                str(pg_bin / "pg_basebackup"),
                "-h",
                primary.address,
                "-p",
                str(primary.port),
                "-U",
                REPLICATION_USER,
                "-D",
                str(replica.directory / "data"),
                "-R",
                "-X",
                "stream",
                "-C",
                "-S",
                REPLICATION_SLOT,
                "--checkpoint=fast",
                "--no-sync",
            ],
        ),
        cwd="/",
        env={**os.environ, "PGPASSWORD": passwords[REPLICATION_USER]},
    )
    # The copy holds the primary's settings: the replica gets its own address and port.
    (replica.directory / "data" / "postgresql.conf").write_text(
        (primary.directory / "data" / "postgresql.conf")
        .read_text()
        .replace(str(primary.directory / "lpa.conf"), str(replica.directory / "lpa.conf"))
    )
    _render_file(
        DEPLOY / "postgresql" / "lpa.conf", replica.directory / "lpa.conf", conf_values(replica)
    )
    topology.pids["db2"] = _start_supervisord(replica, program(replica))
    wait_program(replica, "postgresql")
    wait_port(replica)


def _redis(topology: Topology, values: dict[str, str]) -> None:
    host = topology.hosts["cache"]
    server = shutil.which("redis-server")
    if server is None:
        raise TopologyError("redis-server not found (apt-get install redis-server)")
    log(f"cache: Redis on {host.endpoint}")
    host.directory.mkdir(parents=True, exist_ok=True)
    conf = _render_file(
        DEPLOY / "redis" / "lpa-cache.conf",
        host.directory / "redis.conf",
        {
            **values,
            "REDIS_BIND": host.address,
            "REDIS_PORT": str(host.port),
            "REDIS_DIR": str(host.directory),
        },
        0o600,
    )
    _chown(conf, _service_user("redis"))
    command = " ".join(_as_user(_service_user("redis"), [server, str(conf)]))
    programs = render(REDIS_PROGRAM, {"COMMAND": command, "DIR": str(host.directory)})
    topology.pids["cache"] = _start_supervisord(host, programs)
    wait_program(host, "redis")
    wait_port(host)


def _object_store(topology: Topology, values: dict[str, str]) -> None:
    host = topology.hosts["store"]
    server = VENV / "bin" / "moto_server"
    if not server.exists():
        raise TopologyError(f"{server} not found: make install (moto is a dev dependency)")
    log(f"store: S3-compatible object store (moto) on {host.endpoint}")
    # As the app servers' user: the project's Python may not be reachable by another.
    user = None if topology.app_user == "root" else _service_user(topology.app_user)
    command = " ".join(_as_user(user, [str(server), "-H", host.address, "-p", str(host.port)]))
    programs = render(STORE_PROGRAM, {"COMMAND": command, "DIR": str(host.directory)})
    topology.pids["store"] = _start_supervisord(host, programs)
    wait_program(host, "objectstore")
    wait_port(host)
    make_buckets(topology.env())


def make_buckets(env: dict[str, str]) -> None:
    """The two buckets: the public one readable by anyone (images), the other private."""
    client = backup.s3_client(env)
    public, protected = env["AWS_STORAGE_BUCKET_NAME"], env["AWS_PROTECTED_BUCKET_NAME"]
    for bucket in (public, protected):
        client.create_bucket(Bucket=bucket)
    policy = {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": "*",
                "Action": "s3:GetObject",
                "Resource": f"arn:aws:s3:::{public}/*",
            }
        ],
    }
    client.put_bucket_policy(Bucket=public, Policy=json.dumps(policy))


def _app_servers(topology: Topology, values: dict[str, str]) -> None:
    for name in ("app1", "app2"):
        host = topology.hosts[name]
        log(f"{name}: gunicorn, a task worker and the scheduler on {host.endpoint}")
        host.directory.mkdir(parents=True, exist_ok=True)
        (host.directory / "logs").mkdir(exist_ok=True)
        programs = render(
            (DEPLOY / "supervisor" / "lpa-portal.conf").read_text(),
            {
                **values,
                "GUNICORN_BIND": host.endpoint,
                "LOG_DIR": str(host.directory / "logs"),
            },
        )
        topology.pids[name] = _start_supervisord(host, programs)
    for name in ("app1", "app2"):
        wait_program(topology.hosts[name], "lpa-gunicorn")
        wait_port(topology.hosts[name])


def _load_balancer(topology: Topology, values: dict[str, str]) -> None:
    host = topology.hosts["lb"]
    if shutil.which("nginx") is None:
        raise TopologyError("nginx not found (apt-get install nginx-light)")
    log(f"lb: nginx on {host.endpoint}, in front of app1 and app2")
    for part in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (host.directory / "nginx" / part).mkdir(parents=True, exist_ok=True)
    (host.directory / "logs").mkdir(exist_ok=True)
    # nginx's workers read the error pages from the host's folder (the checkout may be private).
    shutil.copytree(DEPLOY / "nginx" / "errors", host.directory / "errors")
    _render_file(DEPLOY / "nginx" / "lpa-portal.conf", host.directory / "lpa-portal.conf", values)
    user_line = "user www-data;" if os.geteuid() == 0 and _has_user("www-data") else ""
    if os.geteuid() == 0 and not user_line:
        user_line = "user nobody nogroup;"
    main = _write(
        host.directory / "nginx.conf",
        render(NGINX_MAIN, {"DIR": str(host.directory), "USER_LINE": user_line or "# (own user)"}),
    )
    nginx = shutil.which("nginx")
    host.run([nginx, "-t", "-q", "-c", str(main)])
    command = f"{nginx} -c {main} -g 'daemon off;'"
    programs = render(NGINX_PROGRAM, {"COMMAND": command, "DIR": str(host.directory)})
    topology.pids["lb"] = _start_supervisord(host, programs)
    wait_program(host, "nginx")
    wait_port(host)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


# --------------------------------------------------------------------------- settings


def _portal_env(topology: Topology) -> dict[str, str]:
    """The deployment's environment file: the portal's settings and deploy/'s variables."""
    hosts = topology.hosts
    db1, db2, cache, store, lb = (hosts[n] for n in ("db1", "db2", "cache", "store", "lb"))
    app_user = topology.app_user
    pg_password, redis_password = secrets.token_hex(16), secrets.token_hex(16)
    site = topology.url
    lb_host = lb.address if lb.port == 80 else lb.endpoint
    return {
        # --- the portal
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": f"{lb.address},127.0.0.1,localhost",
        "CSRF_TRUSTED_ORIGINS": site,
        "SITE_URL": site,
        "DATABASE_URL": f"postgres://{DB_USER}:{pg_password}@{db1.endpoint}/{DATABASE}",
        "DATABASE_REPLICA_URL": f"postgres://{DB_USER}:{pg_password}@{db2.endpoint}/{DATABASE}",
        "REPLICA_MAX_LAG_SECONDS": "10",
        "CONN_MAX_AGE": "60",
        "DATABASE_CONNECT_TIMEOUT": "3",
        "CACHE_URL": f"redis://:{redis_password}@{cache.endpoint}/1",
        "CACHE_TIMEOUT_SECONDS": "0.5",
        "PAGE_CACHE_SECONDS": "60",
        "FRAGMENT_CACHE_SECONDS": "120",
        "STATIC_ROOT": str(RUN_DIR / "static"),
        "DEFAULT_FILE_STORAGE": "storages.backends.s3.S3Storage",
        "PROTECTED_FILE_STORAGE": "storages.backends.s3.S3Storage",
        "AWS_S3_ENDPOINT_URL": f"http://{store.endpoint}",
        "AWS_S3_REGION_NAME": "us-east-1",
        "AWS_S3_ADDRESSING_STYLE": "path",
        # moto accepts any key; a real store checks them.
        "AWS_ACCESS_KEY_ID": "lpa" + secrets.token_hex(8),
        "AWS_SECRET_ACCESS_KEY": secrets.token_hex(20),
        "AWS_STORAGE_BUCKET_NAME": PUBLIC_BUCKET,
        "AWS_PROTECTED_BUCKET_NAME": PROTECTED_BUCKET,
        "AWS_S3_CUSTOM_DOMAIN": f"{lb_host}/media",
        "AWS_S3_URL_PROTOCOL": "http:",
        "STORAGE_TIMEOUT_SECONDS": "3",
        "DOWNLOAD_SENDFILE_HEADER": "X-Accel-Redirect",
        "DOWNLOAD_INTERNAL_PREFIX": "/protected-files/",
        "RESOURCE_MAX_UPLOAD_MB": "50",
        "TASK_BACKEND": "django_tasks_db.DatabaseBackend",
        # Emails are written as files here (a real deployment: SMTP).
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(RUN_DIR / "mail"),
        "TRUSTED_PROXY_COUNT": "1",
        "BEHIND_PROXY": "true",
        # Plain HTTP on this machine; production terminates TLS in front of the portal.
        "SECURE_SSL_REDIRECT": "false",
        "SESSION_COOKIE_SECURE": "false",
        "CSRF_COOKIE_SECURE": "false",
        "SECURE_HSTS_SECONDS": "0",
        "LOG_LEVEL": "WARNING",
        # --- deploy/ (nginx, supervisor, PostgreSQL, Redis)
        "APP_DIR": str(ROOT),
        "VENV": str(VENV),
        "APP_USER": app_user,
        "ENV_FILE": topology.env_file,
        "GUNICORN_WORKERS": "2",
        "GUNICORN_THREADS": "4",
        "TASK_WORKERS": "1",
        "SCHEDULE_EVERY_SECONDS": "300",
        "APP_SERVERS": f"{hosts['app1'].endpoint},{hosts['app2'].endpoint}",
        "OBJECT_STORE_HOST": store.endpoint,
        "NGINX_LISTEN": lb.endpoint,
        "NGINX_SERVER_NAME": lb.address,
        "NGINX_MAX_BODY_SIZE": "51m",
        "NGINX_ERROR_PAGES": str(RUN_DIR / "hosts" / "lb"),
        "NGINX_ACCESS_LOG": str(RUN_DIR / "hosts" / "lb" / "logs" / "access.log"),
        "PG_PASSWORD": pg_password,
        "PG_REPLICATION_PASSWORD": secrets.token_hex(16),
        "REDIS_PASSWORD": redis_password,
        "REDIS_MAXMEMORY": "256mb",
    }


def _write_env_file(path: Path, values: dict[str, str], app_user: str) -> None:
    lines = [
        "# The settings of the local production topology (deploy/local/topology.py): the",
        "# portal's (README, Settings) and deploy/'s variables (README, Deploying). Every",
        "# process of the portal reads this file (ENV_FILE).",
    ]
    lines += [f"{name}={value}" for name, value in values.items()]
    _write(path, "\n".join(lines) + "\n", 0o640)
    user = _service_user(app_user) if app_user != "root" else None
    if user is not None:
        os.chown(path, 0, user.pw_gid)


# --------------------------------------------------------------------------- up and down


def up(from_backup: Path | None = None) -> int:
    existing = Topology.load()
    if existing is not None and existing.running():
        print(
            f"The production topology is already running at {existing.url} "
            f"({existing.mode}, {RUN_DIR}); nothing was changed. `make prod-down` stops it.",
            file=sys.stderr,
        )
        return 1
    if existing is not None or RUN_DIR.exists():
        log(f"clearing what a previous run left in {RUN_DIR}")
        down(quiet=True)
    started = time.monotonic()
    choice = os.environ.get("LPA_PROD_NETWORK", "auto")
    if choice not in ("auto", "namespaces", "loopback"):
        raise TopologyError("LPA_PROD_NETWORK is one of auto, namespaces, loopback")
    use_namespaces = choice == "namespaces" or (choice == "auto" and _namespaces_possible())
    if choice == "namespaces" and not _namespaces_possible():
        raise TopologyError("network namespaces cannot be made here (they need root and `ip`)")

    RUN_DIR.mkdir(parents=True)
    RUN_DIR.chmod(0o755)
    app_user = _app_user()
    subnet = _free_subnet() if use_namespaces else ""
    topology = Topology(
        mode="namespaces" if use_namespaces else "loopback",
        hosts={},
        subnet=subnet,
        started_at=time.time(),
        app_user=app_user.pw_name if app_user else pwd.getpwuid(os.geteuid()).pw_name,
    )
    try:
        if use_namespaces:
            log(f"network: a namespace per host on {subnet}.0/24, bridge {bridge_name()}")
            topology.hosts = _make_network(subnet)
        else:
            log("network: every host on 127.0.0.1 (loopback), each on a free port")
            topology.hosts = _loopback_hosts()
        topology.save()
        values = _portal_env(topology)
        _write_env_file(Path(topology.env_file), values, topology.app_user)
        mail = RUN_DIR / "mail"
        mail.mkdir()
        mail.chmod(0o777)  # the app servers' user writes the emails here

        _postgres(topology, values)
        topology.save()
        _redis(topology, values)
        topology.save()
        _object_store(topology, values)
        topology.save()

        if from_backup is None:
            log("migrate and load the demo content (db1; db2 follows by replication)")
            topology.manage("migrate", "--no-input", "-v", "0")
            topology.manage("seed_demo")
        else:
            log(f"restore {from_backup} into the fresh cluster and store")
            report = backup.restore(from_backup, topology.env())
            if report["problems"]:
                raise TopologyError("the restore differs: " + "; ".join(report["problems"]))
            log(
                f"restored {report['tables']} tables ({report['rows']} rows) and "
                f"{report['files']} files; every count and checksum equals the backup's"
            )
            topology.manage("migrate", "--no-input", "-v", "0")
        log("collectstatic (served by nginx)")
        topology.manage("collectstatic", "--no-input", "-v", "0")

        _app_servers(topology, values)
        topology.save()
        _load_balancer(topology, values)
        topology.seconds_to_start = time.monotonic() - started
        topology.save()
        topology.wait_healthy()
    except BaseException:
        if os.environ.get("LPA_PROD_KEEP"):
            log(f"start failed: LPA_PROD_KEEP is set, everything is left running in {RUN_DIR}")
            raise
        log("start failed: stopping what was started")
        with contextlib.suppress(Exception):
            topology.save()
        down(quiet=True)
        raise
    topology.seconds_to_start = time.monotonic() - started
    topology.save()
    _print_welcome(topology)
    return 0


def _print_welcome(topology: Topology) -> None:
    hosts = topology.hosts
    lines = [
        "",
        f"  LPA Portal, production topology ({topology.mode}), up in "
        f"{topology.seconds_to_start:.0f} s:",
        f"    {topology.url}/   (admin: {topology.url}/admin/)",
        "",
        "  Sign in as:",
        *(f"    {who:<24} {email:<32} {password}" for who, email, password in DEMO_SIGN_INS),
        "",
        "  Hosts:",
        *(
            f"    {name:<6} {host.endpoint:<22} "
            + (f"namespace {host.namespace}" if host.namespace else "loopback")
            for name, host in hosts.items()
        ),
        "",
        f"  Settings: {topology.env_file}; logs: {RUN_DIR}/hosts/*/logs; emails: {RUN_DIR}/mail",
        "  make drills breaks it on purpose; make prod-down stops it and removes its data.",
        "",
    ]
    print("\n".join(lines))


def down(quiet: bool = False) -> int:
    topology = Topology.load()
    if topology is None and not RUN_DIR.exists():
        if not quiet:
            print("No production topology is running; nothing to stop.", file=sys.stderr)
        return 0
    if topology is not None:
        # The app servers and the load balancer first, the engines last.
        for name in reversed(HOSTS):
            host = topology.hosts.get(name)
            if host is None:
                continue
            pid = host.supervisord_pid() or topology.pids.get(name)
            if pid and _alive(pid):
                if not quiet:
                    log(f"stopping {name} (supervisord {pid} and its programs)")
                _stop_pid(pid, 90)
    if os.geteuid() == 0 and shutil.which("ip"):
        _remove_network(topology)
    shutil.rmtree(RUN_DIR, ignore_errors=True)
    if not quiet:
        log(f"stopped; {RUN_DIR} removed")
    return 0


def _stop_pid(pid: int, timeout: float) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    if _alive(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)


def status() -> int:
    topology = Topology.load()
    if topology is None or not topology.running():
        print("No production topology is running (make prod-up starts one).")
        return 1
    print(f"{topology.url}/ ({topology.mode}, {RUN_DIR})")
    for name, host in topology.hosts.items():
        print(f"{name:<6} {host.endpoint:<22} supervisord {host.supervisord_pid()}")
        for line in host.ctl("status", check=False).splitlines():
            print(f"         {line}")
    return 0


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    start = commands.add_parser("up")
    start.add_argument("--from-backup", type=Path, help="restore a backup instead of the demo")
    commands.add_parser("down")
    commands.add_parser("status")
    commands.add_parser("env-file")
    args = parser.parse_args(argv)
    try:
        if args.command == "up":
            return up(args.from_backup)
        if args.command == "down":
            return down()
        if args.command == "status":
            return status()
        topology = Topology.load()
        if topology is None or not topology.running():
            print("No production topology is running (make prod-up).", file=sys.stderr)
            return 1
        print(topology.env_file)
        return 0
    except (TopologyError, subprocess.CalledProcessError) as error:
        print(f"prod: {error}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
