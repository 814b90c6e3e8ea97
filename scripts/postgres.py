"""Start and stop a throwaway PostgreSQL server on 127.0.0.1, for tests and benchmarks.

The server runs from PostgreSQL's own programs (``initdb``, ``pg_ctl``), found on ``PATH``,
through ``pg_config --bindir`` or under ``/usr/lib/postgresql/*/bin`` (Debian's
``postgresql`` package, which this project's machines have). Where none is found and we are
root with ``apt-get``, ``--install`` installs Debian's package first. PostgreSQL refuses to
run as root, so as root the server runs as the ``postgres`` user (or ``nobody``). The data
directory, socket and log live in one temporary directory, removed on stop; trust
authentication on loopback only, for user ``civicgrid``.

    python scripts/postgres.py start [--install] [--durable]   # prints URL and directory
    python scripts/postgres.py stop DIRECTORY
"""

from __future__ import annotations

import argparse
import glob
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

USER = "civicgrid"
"""The database superuser the throwaway server is created with."""


def find_bindir() -> Path | None:
    """Return the directory holding initdb and pg_ctl, or None when PostgreSQL is not here."""
    candidates: list[Path] = []
    initdb = shutil.which("initdb")
    if initdb:
        candidates.append(Path(os.path.realpath(initdb)).parent)
    pg_config = shutil.which("pg_config")
    if pg_config:
        done = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False)
        if done.returncode == 0:
            candidates.append(Path(done.stdout.strip()))
    versions = glob.glob("/usr/lib/postgresql/*/bin")
    versions.sort(key=lambda p: int(Path(p).parent.name) if Path(p).parent.name.isdigit() else 0)
    candidates.extend(Path(p) for p in reversed(versions))
    for directory in candidates:
        if all((directory / name).is_file() for name in ("initdb", "pg_ctl", "postgres")):
            return directory
    return None


def install() -> str:
    """Install Debian's postgresql package when root with apt-get; return what happened."""
    if os.geteuid() != 0 or shutil.which("apt-get") is None:
        return "PostgreSQL is not installed, and installing it needs root and apt-get"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    for command in (
        ["apt-get", "update", "-qq"],
        ["apt-get", "install", "-y", "-qq", "--no-install-recommends", "postgresql"],
    ):
        done = subprocess.run(command, capture_output=True, text=True, env=env, check=False)
        if done.returncode != 0:
            return f"{' '.join(command)} failed: {done.stderr.strip()[-500:]}"
    return "installed Debian's postgresql package"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Server:
    """A running throwaway server: its URL, its directory and the programs that run it."""

    url: str
    directory: Path
    bindir: Path

    def stop(self) -> None:
        """Stop the server and remove its directory; harmless when already stopped."""
        data = self.directory / "data"
        if (data / "postmaster.pid").exists():
            _run([str(self.bindir / "pg_ctl"), "stop", "-D", str(data), "-m", "fast", "-w"])
        shutil.rmtree(self.directory, ignore_errors=True)


def _identity() -> dict[str, Any]:
    """Arguments for subprocess that drop root to an unprivileged user (none otherwise)."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    msg = "running as root and no postgres or nobody user to run PostgreSQL as"
    raise RuntimeError(msg)


def _run(command: list[str], cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        command,
        capture_output=True,
        text=True,
        cwd=cwd or "/",
        check=False,
        env={**os.environ, "LC_ALL": "C", "TZ": "UTC"},
        **_identity(),
    )
    if done.returncode != 0:
        msg = f"{' '.join(command)} failed ({done.returncode}): {done.stderr.strip()[-800:]}"
        raise RuntimeError(msg)
    return done


def start(*, durable: bool = False, bindir: Path | None = None) -> Server:
    """Create a cluster in a new temporary directory and start it on a free loopback port.

    Unless ``durable``, fsync and synchronous commit are off: the data is thrown away anyway.
    Raise RuntimeError saying why when PostgreSQL is not found or does not start.
    """
    bindir = bindir or find_bindir()
    if bindir is None:
        msg = "PostgreSQL's programs (initdb, pg_ctl) were not found"
        raise RuntimeError(msg)
    directory = Path(tempfile.mkdtemp(prefix="civicgrid-pg-"))
    identity = _identity()
    if identity:
        os.chown(directory, identity["user"], identity["group"])
    data = directory / "data"
    try:
        _run(
            [
                str(bindir / "initdb"),
                "-D", str(data), "-U", USER, "--auth=trust", "-E", "UTF8",
                "--locale=C", "--no-sync",
            ],
            cwd=directory,
        )  # fmt: skip
        options = f"-h 127.0.0.1 -k {directory} -c max_connections=50"
        if not durable:
            options += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        for _ in range(3):
            port = _free_port()
            try:
                _run(
                    [
                        str(bindir / "pg_ctl"), "start", "-D", str(data), "-w", "-t", "60",
                        "-l", str(directory / "server.log"), "-o", f"{options} -p {port}",
                    ],
                    cwd=directory,
                )  # fmt: skip
                break
            except RuntimeError:
                if (data / "postmaster.pid").exists():
                    raise
        else:
            log = (directory / "server.log").read_text(errors="replace")[-800:]
            msg = f"PostgreSQL did not start: {log}"
            raise RuntimeError(msg)
    except BaseException:
        Server("", directory, bindir).stop()
        raise
    return Server(f"postgresql://{USER}@127.0.0.1:{port}/postgres", directory, bindir)


def main(argv: list[str] | None = None) -> int:
    """Start a server and print its URL and directory, or stop the one in a directory."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    starting = commands.add_parser("start", help="start a server; print URL and directory")
    starting.add_argument("--install", action="store_true", help="apt-get install if missing")
    starting.add_argument("--durable", action="store_true", help="keep fsync on")
    stopping = commands.add_parser("stop", help="stop the server in DIRECTORY and remove it")
    stopping.add_argument("directory", type=Path)
    args = parser.parse_args(argv)
    if args.command == "stop":
        bindir = find_bindir()
        if bindir is None:
            print("PostgreSQL's programs were not found", file=sys.stderr)
            return 1
        Server("", args.directory, bindir).stop()
        return 0
    if args.install and find_bindir() is None:
        print(install(), file=sys.stderr)
    try:
        server = start(durable=args.durable)
    except RuntimeError as error:
        print(error, file=sys.stderr)
        return 1
    print(server.url)
    print(server.directory)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
