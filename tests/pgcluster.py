"""A throwaway PostgreSQL cluster for the test suite.

``throwaway_cluster()`` runs ``initdb`` into a fresh temporary directory, starts a
server on a free port of 127.0.0.1, yields its database URL and always stops the
server and removes the directory afterwards (also on KeyboardInterrupt and on
SIGTERM/SIGHUP while inside the context).

Command line (used by ``make test`` for the PostgreSQL pass)::

    python -m tests.pgcluster -- CMD [ARGS...]   # run CMD with DATABASE_URL set
    python -m tests.pgcluster --check            # exit 0 if the server binaries exist

Both exit 3 when the PostgreSQL server binaries cannot be found.

The binaries are taken from ``$PG_BIN`` if set, else from
``/usr/lib/postgresql/15/bin``, else from the newest ``/usr/lib/postgresql/*/bin``,
else from ``PATH``. ``initdb`` and ``postgres`` refuse to run as root, so when this
process is root they run as the ``postgres`` system user (``nobody`` if it does
not exist) through ``runuser`` (or ``setpriv``).

Standard library only (psycopg2 is not needed here; the tests use it).
"""

from __future__ import annotations

import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

__all__ = ["NOT_FOUND_EXIT", "ClusterStartError", "find_pg_bin", "main", "throwaway_cluster"]

#: Exit status of the command line when the server binaries are missing.
NOT_FOUND_EXIT = 3

PREFERRED_VERSION = "15"
DEBIAN_ROOT = Path("/usr/lib/postgresql")
REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")
START_TIMEOUT = 60  # seconds, pg_ctl -t for start
STOP_TIMEOUT = 30  # seconds, pg_ctl -t for each stop attempt
LOG_TAIL_LINES = 40
SERVER_SETTINGS = (
    "fsync=off",
    "synchronous_commit=off",
    "full_page_writes=off",
    "max_connections=200",
    "shared_buffers=128MB",
)
_PORT_IN_USE = re.compile(
    r"could not bind|address already in use|could not create any TCP/IP", re.I
)


class ClusterStartError(RuntimeError):
    """initdb or the server start failed; the message includes the log tail."""

    def __init__(self, message: str, *, tempdir: str | None = None, log_tail: str = "") -> None:
        super().__init__(message)
        self.tempdir = tempdir
        self.log_tail = log_tail


# --------------------------------------------------------------------------- binaries


def _has_binaries(directory: Path) -> bool:
    return all(os.access(directory / name, os.X_OK) for name in REQUIRED_BINARIES)


def _version_key(path: Path) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", path.name)) or (-1,)


def find_pg_bin() -> Path | None:
    """Return the directory holding initdb, pg_ctl and postgres, or None.

    ``$PG_BIN``, when set and non-empty, is authoritative: if it does not hold the
    binaries the answer is None rather than some other installation.
    """
    override = os.environ.get("PG_BIN", "").strip()
    if override:
        directory = Path(override).expanduser()
        return directory.resolve() if _has_binaries(directory) else None

    preferred = DEBIAN_ROOT / PREFERRED_VERSION / "bin"
    if _has_binaries(preferred):
        return preferred
    if DEBIAN_ROOT.is_dir():
        versions = sorted(
            (p for p in DEBIAN_ROOT.iterdir() if _has_binaries(p / "bin")),
            key=_version_key,
            reverse=True,
        )
        if versions:
            return versions[0] / "bin"

    on_path = shutil.which("pg_ctl")
    if on_path:
        directory = Path(on_path).resolve().parent
        if _has_binaries(directory):
            return directory
    return None


# --------------------------------------------------------------------------- running as a user


def _service_user() -> pwd.struct_passwd | None:
    """The unprivileged user the server runs as, or None to run as ourselves."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root, but neither a 'postgres' nor a 'nobody' user exists")


def _as_user(user: pwd.struct_passwd | None, argv: Sequence[str]) -> list[str]:
    if user is None:
        return list(argv)
    if shutil.which("runuser"):
        return ["runuser", "-u", user.pw_name, "--", *argv]
    if shutil.which("setpriv"):
        return [
            "setpriv",
            f"--reuid={user.pw_uid}",
            f"--regid={user.pw_gid}",
            "--init-groups",
            "--",
            *argv,
        ]
    raise RuntimeError("running as root, but neither runuser nor setpriv is available")


def _server_env() -> dict[str, str]:
    # PG* variables (PGDATA, PGPORT, PGHOST, ...) of the caller must not steer our server.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    env.pop("LC_ALL", None)  # initdb gets --locale explicitly
    return env


def _run(
    user: pwd.struct_passwd | None,
    argv: Sequence[str],
    cwd: str,
    *,
    timeout: float | None = None,
    new_session: bool = False,
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.Popen(
        _as_user(user, argv),
        cwd=cwd,  # the caller's cwd may not be readable by the service user
        env=_server_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=new_session,
    )
    try:
        output, _ = proc.communicate(timeout=timeout)
    except BaseException:
        # Interrupted (SIGTERM, Ctrl-C, timeout): SIGTERM first, which runuser passes
        # on, so initdb/pg_ctl don't go on working in a directory being removed.
        proc.terminate()
        try:
            proc.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()
        raise
    return subprocess.CompletedProcess(proc.args, proc.returncode, output)


# --------------------------------------------------------------------------- helpers


def _temp_parent(user: pwd.struct_passwd | None) -> str | None:
    """Where to create the temp dir: the default one unless the service user can't reach it."""
    if user is None:
        return None
    parent = Path(tempfile.gettempdir()).resolve()
    for directory in (parent, *parent.parents):
        if not directory.stat().st_mode & stat.S_IXOTH:
            return "/tmp"  # sticky and world-traversable; the dir itself is 0700
    return None


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _tail(path: Path, lines: int = LOG_TAIL_LINES, start: int = 0) -> str:
    try:
        with path.open("rb") as fh:
            fh.seek(start)
            data = fh.read().decode("utf-8", "replace")
    except OSError as exc:
        return f"(no server log: {exc})"
    return "\n".join(data.splitlines()[-lines:])


def _read_pid(datadir: Path) -> int | None:
    try:
        first = (datadir / "postmaster.pid").read_text().split("\n", 1)[0].strip()
        return int(first)
    except (OSError, ValueError):
        return None


def _alive(pid: int) -> bool:
    """Whether pid is a live (not zombie) process."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        # The postmaster is reparented when pg_ctl exits; until its new parent
        # reaps it, it lingers as a zombie, which is as good as gone.
        stat_line = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return True  # no procfs (e.g. macOS): trust kill(0)
    return stat_line.rpartition(")")[2].split()[:1] != ["Z"]


def _in_main_thread() -> bool:
    return threading.current_thread() is threading.main_thread()


_TERMINATING_SIGNALS = tuple(
    getattr(signal, name) for name in ("SIGTERM", "SIGHUP") if hasattr(signal, name)
)


def _raise_system_exit(signum: int, _frame: object) -> None:
    raise SystemExit(128 + signum)


# --------------------------------------------------------------------------- the cluster


@contextmanager
def throwaway_cluster(*, extra_options: Sequence[str] = ()) -> Iterator[str]:
    """Start a disposable PostgreSQL server; yield ``postgres://postgres@127.0.0.1:PORT/postgres``.

    ``extra_options`` are appended to the postgres command line (e.g.
    ``["-c", "log_min_duration_statement=0"]``). Raises RuntimeError
    (ClusterStartError) with the tail of the server log if it does not start.
    """
    pg_bin = find_pg_bin()
    if pg_bin is None:
        raise RuntimeError(
            "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found; "
            "install Debian's postgresql package or set PG_BIN"
        )

    user = _service_user()
    _as_user(user, ["true"])  # fail early if root has no way to switch users
    pg_ctl = str(pg_bin / "pg_ctl")
    tempdir: str | None = None
    datadir: Path | None = None
    start_state = "not started"  # -> "starting" -> "done"

    # SIGTERM (e.g. a CI timeout) must unwind through the finally below.
    saved_handlers: dict[int, object] = {}
    try:
        if _in_main_thread():
            for signum in _TERMINATING_SIGNALS:
                saved_handlers[signum] = signal.signal(signum, _raise_system_exit)
        tempdir = tempfile.mkdtemp(prefix="pgcluster-", dir=_temp_parent(user))
        if user is not None:
            os.chown(tempdir, user.pw_uid, user.pw_gid)
        datadir = Path(tempdir, "data")
        logfile = Path(tempdir, "postgres.log")

        _initdb(pg_bin, user, tempdir, datadir)

        port = 0
        for attempt in range(3):
            port = _free_port()
            options = ["-c", "listen_addresses=127.0.0.1", "-p", str(port), "-k", tempdir]
            for setting in SERVER_SETTINGS:
                options += ["-c", setting]
            options += list(extra_options)
            log_offset = logfile.stat().st_size if logfile.exists() else 0
            start_state = "starting"
            result = _run(
                user,
                [
                    pg_ctl,
                    "start",
                    "-w",
                    "-t",
                    str(START_TIMEOUT),
                    "-D",
                    str(datadir),
                    "-l",
                    str(logfile),
                    "-o",
                    shlex.join(options),
                ],
                tempdir,
                timeout=START_TIMEOUT + 30,
                new_session=True,  # keep the server out of the terminal's Ctrl-C
            )
            start_state = "done"
            if result.returncode == 0:
                break
            log_tail = _tail(logfile, start=log_offset)
            if attempt < 2 and _PORT_IN_USE.search(log_tail) and _read_pid(datadir) is None:
                continue  # lost a race for the port: try another one
            raise ClusterStartError(
                f"PostgreSQL server did not start (pg_ctl exit {result.returncode}).\n"
                f"pg_ctl said:\n{result.stdout.strip()}\n"
                f"--- last lines of {logfile} ---\n{log_tail}",
                tempdir=tempdir,
                log_tail=log_tail,
            )

        yield f"postgres://postgres@127.0.0.1:{port}/postgres"
    finally:
        # Defer SIGTERM/SIGINT while cleaning up so the cleanup itself isn't cut short.
        deferred: list[int] = []
        if saved_handlers:
            for signum in (*_TERMINATING_SIGNALS, signal.SIGINT):
                prev = signal.signal(signum, lambda s, _f: deferred.append(s))
                saved_handlers.setdefault(signum, prev)
        try:
            if datadir is not None and start_state != "not started":
                _stop(pg_ctl, user, tempdir, datadir, interrupted=start_state == "starting")
            if tempdir is not None:
                _remove_tree(tempdir)
        finally:
            for signum, handler in saved_handlers.items():
                signal.signal(signum, handler)  # type: ignore[arg-type]
        if deferred:
            if deferred[0] == signal.SIGINT:
                raise KeyboardInterrupt
            raise SystemExit(128 + deferred[0])


def _initdb(pg_bin: Path, user: pwd.struct_passwd | None, tempdir: str, datadir: Path) -> None:
    base = [str(pg_bin / "initdb"), "-D", str(datadir), "-A", "trust", "-U", "postgres"]
    base += ["-E", "UTF8", "--no-sync"]
    failures = []
    for locale in ("C.UTF-8", "C"):
        result = _run(user, [*base, f"--locale={locale}"], tempdir, timeout=300)
        if result.returncode == 0:
            return
        failures.append(f"initdb --locale={locale} (exit {result.returncode}):\n{result.stdout}")
        shutil.rmtree(datadir, ignore_errors=True)  # initdb may leave a partial dir
    raise ClusterStartError("initdb failed:\n" + "\n".join(failures), tempdir=tempdir)


def _stop(
    pg_ctl: str,
    user: pwd.struct_passwd | None,
    tempdir: str,
    datadir: Path,
    *,
    interrupted: bool,
) -> None:
    pid = _read_pid(datadir)
    if pid is None:
        if not interrupted:
            return  # the start failed and left no server behind
        # An interrupted start may not have written postmaster.pid yet.
        deadline = time.monotonic() + 3
        while pid is None and time.monotonic() < deadline:
            time.sleep(0.1)
            pid = _read_pid(datadir)
        if pid is None:
            return
    for mode in ("fast", "immediate"):
        try:
            result = _run(
                user,
                [pg_ctl, "stop", "-D", str(datadir), "-m", mode, "-w", "-t", str(STOP_TIMEOUT)],
                tempdir,
                timeout=STOP_TIMEOUT + 15,
            )
        except subprocess.TimeoutExpired:
            pass
        else:
            # pg_ctl -w succeeds once the postmaster has removed its pid file on exit.
            if result.returncode == 0 and _read_pid(datadir) is None:
                return
        if not _alive(pid):
            return
    # Last resort: the postmaster would not stop; its backends exit when it dies.
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        return
    deadline = time.monotonic() + 10
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)


def _remove_tree(path: str) -> None:
    for _ in range(20):
        try:
            shutil.rmtree(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.25)  # a dying backend may still be writing
    shutil.rmtree(path, ignore_errors=True)
    if os.path.exists(path):
        print(f"pgcluster: could not remove {path}", file=sys.stderr)


# --------------------------------------------------------------------------- command line

USAGE = """\
usage: python -m tests.pgcluster -- CMD [ARGS...]
       python -m tests.pgcluster --check

Start a throwaway PostgreSQL cluster, run CMD with DATABASE_URL pointing at it,
stop the cluster and exit with CMD's exit status. --check exits 0 if the server
binaries are found. Both exit 3 if they are not (set PG_BIN to their directory).
"""


def _not_found_message() -> str:
    where = (
        f"PG_BIN={os.environ['PG_BIN']!r} does not hold initdb, pg_ctl and postgres"
        if os.environ.get("PG_BIN", "").strip()
        else f"no initdb/pg_ctl/postgres in {DEBIAN_ROOT}/*/bin or on PATH"
    )
    return (
        f"pgcluster: PostgreSQL server binaries not found ({where}).\n"
        "pgcluster: install them with `apt-get install postgresql` or set PG_BIN."
    )


def _run_command(cmd: list[str], url: str) -> int:
    env = dict(os.environ, DATABASE_URL=url)
    try:
        proc = subprocess.Popen(cmd, env=env)
    except OSError as exc:
        print(f"pgcluster: cannot run {cmd[0]!r}: {exc}", file=sys.stderr)
        return 127
    # Ctrl-C reaches the child through the terminal; let it decide and report.
    previous_sigint = signal.signal(signal.SIGINT, signal.SIG_IGN) if _in_main_thread() else None
    try:
        returncode = proc.wait()
    except BaseException:
        # SIGTERM/SIGHUP of this process (SystemExit): pass it on, then clean up.
        if proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        raise
    finally:
        if previous_sigint is not None:
            signal.signal(signal.SIGINT, previous_sigint)
    return 128 - returncode if returncode < 0 else returncode


def main(argv: Sequence[str] | None = None) -> int:
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in ("-h", "--help"):
        print(USAGE, file=sys.stderr if not args else sys.stdout, end="")
        return 2 if not args else 0
    if args == ["--check"]:
        pg_bin = find_pg_bin()
        if pg_bin is None:
            print(_not_found_message(), file=sys.stderr)
            return NOT_FOUND_EXIT
        print(pg_bin)
        return 0
    if args[0] == "--":
        args = args[1:]
    elif args[0].startswith("-"):
        print(f"pgcluster: unknown option {args[0]!r}\n{USAGE}", file=sys.stderr, end="")
        return 2
    if not args:
        print(f"pgcluster: no command given\n{USAGE}", file=sys.stderr, end="")
        return 2
    if find_pg_bin() is None:
        print(_not_found_message(), file=sys.stderr)
        return NOT_FOUND_EXIT

    started = time.monotonic()
    try:
        with throwaway_cluster() as url:
            print(
                f"pgcluster: PostgreSQL up at {url} ({time.monotonic() - started:.1f}s)",
                file=sys.stderr,
                flush=True,
            )
            return _run_command(args, url)
    except ClusterStartError as exc:
        print(f"pgcluster: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
