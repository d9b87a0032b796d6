"""The chaos run's own platform: a second Postgres and Kafka (``deploy/local/stack.sh`` with
``DATAPARK_LOCAL_DIR=.local/chaos`` and ports of their own) and the services as separate
processes on ports of their own. Every process the faults strike is found from a handle this
module holds or from the chaos stack's own pid files — never by a name pattern: other
engineers run services, Postgres and Kafka on the same machine.
"""

from __future__ import annotations

import fcntl
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("catalog", "trading", "rental", "subsidy")
LOCK = ROOT / ".local" / "chaos.lock"


@contextmanager
def chaos_lock() -> Iterator[float]:
    """One user of the chaos stack at a time on this machine (a chaos run, another ``make test``
    in the same tree, a benchmark on the stack): waits up to 15 minutes for whoever holds
    ``.local/chaos.lock``, holds it for the block and yields the seconds it waited."""
    LOCK.parent.mkdir(parents=True, exist_ok=True)
    with LOCK.open("w") as lock:
        waited = time.monotonic()
        while True:
            try:
                fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() - waited > 900:
                    raise RuntimeError("another chaos run holds .local/chaos.lock") from None
                time.sleep(2)
        yield time.monotonic() - waited


def _port_taken(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


@dataclass(frozen=True)
class Ports:
    pg: int = int(os.environ.get("DATAPARK_CHAOS_PG_PORT", "54339"))
    kafka: int = int(os.environ.get("DATAPARK_CHAOS_KAFKA_PORT", "9192"))
    controller: int = int(os.environ.get("DATAPARK_CHAOS_KAFKA_CONTROLLER_PORT", "9193"))
    http: int = int(os.environ.get("DATAPARK_CHAOS_HTTP_BASE", "8100"))

    def service(self, name: str) -> int:
        return self.http + 1 + SERVICES.index(name)

    def worker(self, name: str) -> int:
        return self.http + 11 + SERVICES.index(name)


@dataclass
class Process:
    """One service process (API + workers, or a worker only) the run started itself."""

    name: str
    argv: list[str]
    env: dict[str, str]
    port: int
    log: Path
    popen: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self.popen is not None
        return self.popen.pid

    def start(self) -> None:
        handle = self.log.open("ab")
        handle.write(f"===== start {time.strftime('%H:%M:%S')}\n".encode())
        handle.flush()
        self.popen = subprocess.Popen(
            self.argv, cwd=ROOT, env=self.env, stdout=handle, stderr=subprocess.STDOUT
        )
        self.starts += 1

    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def signal(self, sig: int) -> None:
        if self.alive():
            os.kill(self.pid, sig)

    def kill9(self) -> None:
        self.signal(signal.SIGKILL)
        if self.popen is not None:
            self.popen.wait(timeout=30)

    def stop(self) -> None:
        if not self.alive():
            return
        assert self.popen is not None
        self.signal(signal.SIGCONT)
        self.popen.terminate()
        try:
            self.popen.wait(timeout=25)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            self.popen.wait(timeout=10)

    def ready(self, timeout: float = 2.0) -> bool:
        try:
            with urllib.request.urlopen(f"{self.url}/readyz", timeout=timeout) as answer:
                return bool(answer.status == 200)
        except Exception:
            return False

    def wait_ready(self, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while not self.ready():
            if not self.alive():
                raise RuntimeError(f"{self.name} exited: {self.log.read_text()[-3000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} not ready: {self.log.read_text()[-3000:]}")
            time.sleep(0.3)

    def metric(self, name: str) -> float | None:
        """One sample of a Prometheus metric this process exposes (first match)."""
        try:
            with urllib.request.urlopen(f"{self.url}/metrics", timeout=3) as answer:
                text = answer.read().decode()
        except Exception:
            return None
        for line in text.splitlines():
            if line.startswith(name):
                return float(line.rsplit(" ", 1)[1])
        return None


@dataclass
class ChaosStack:
    local: Path = ROOT / ".local" / "chaos"
    ports: Ports = field(default_factory=Ports)
    processes: dict[str, Process] = field(default_factory=dict)

    @property
    def database_url(self) -> str:
        return f"postgresql+asyncpg://datapark:datapark@127.0.0.1:{self.ports.pg}/datapark"

    @property
    def dsn(self) -> str:
        return self.database_url.replace("+asyncpg", "")

    @property
    def bootstrap(self) -> str:
        return f"127.0.0.1:{self.ports.kafka}"

    def env(self) -> dict[str, str]:
        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("DATAPARK_KAFKA_", "DATAPARK_AUDIT_"))
        }
        env.update(
            DATAPARK_LOCAL_DIR=str(self.local),
            DATAPARK_PG_PORT=str(self.ports.pg),
            DATAPARK_KAFKA_PORT=str(self.ports.kafka),
            DATAPARK_KAFKA_CONTROLLER_PORT=str(self.ports.controller),
            DATAPARK_KAFKA_BOOTSTRAP=self.bootstrap,
            DATAPARK_AUDIT_BOOTSTRAP=self.bootstrap,
            # C1 only: the broker (re)starts sooner on a busy 2-core machine
            DATAPARK_KAFKA_HEAP_OPTS="-Xmx384m -Xms128m -XX:TieredStopAtLevel=1",
        )
        return env

    # -- infrastructure ------------------------------------------------------------------------
    def _stack(self, command: str) -> None:
        subprocess.run(
            ["bash", str(ROOT / "deploy/local/stack.sh"), command],
            cwd=ROOT,
            env=self.env(),
            check=True,
            stdout=subprocess.DEVNULL,
        )

    def check_ports_free(self) -> None:
        """No service may listen on the chaos HTTP ports yet (a run that did not clean up):
        the run would drive and strike processes it did not start."""
        # (Postgres and Kafka on theirs are the chaos stack's own: fresh() resets them)
        ports = [self.ports.service(s) for s in SERVICES]
        ports += [self.ports.worker(s) for s in SERVICES]
        taken = [p for p in ports if _port_taken(p)]
        if taken:
            raise RuntimeError(f"chaos ports already in use: {taken}")

    def fresh(self) -> None:
        """A new, empty chaos stack (only .local/chaos: the shared stack is never touched)."""
        assert self.local.name == "chaos"
        assert self.local.parent == ROOT / ".local"
        self.local.mkdir(parents=True, exist_ok=True)
        libs = self.local / "kafka-libs"
        if not libs.exists():
            libs.symlink_to(ROOT / ".local" / "kafka-libs")
        self._stack("reset")
        self._stack("up")

    def up(self) -> None:
        self._stack("up")

    def down(self) -> None:
        self._stack("down")

    def migrate(self) -> None:
        """Every service's migrations in one interpreter (one import of the models), then the
        topics."""
        script = (
            "import sys\n"
            "from alembic import command\n"
            "from alembic.config import Config\n"
            "for service in sys.argv[1:]:\n"
            "    command.upgrade(Config(f'services/{service}/alembic.ini'), 'head')\n"
        )
        env = {**self.env(), "DATAPARK_MIGRATIONS_DATABASE_URL": self.database_url}
        for argv in (
            [sys.executable, "-c", script, *SERVICES],
            [sys.executable, "-m", "datapark_eventing.topics"],
        ):
            done = subprocess.run(argv, cwd=ROOT, env=env, capture_output=True, text=True)
            if done.returncode != 0:
                raise RuntimeError(f"{argv[-1]}: {done.stderr[-3000:]}")

    def kafka_pid(self) -> int:
        return int((self.local / "kafka" / "kafka.pid").read_text().strip())

    def kafka_kill9(self) -> int:
        pid = self.kafka_pid()
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        # the pid file names the chaos broker: its command line holds the chaos config path
        assert str(self.local / "kafka" / "config") in cmdline, cmdline
        os.kill(pid, signal.SIGKILL)
        return pid

    def _pg_ctl(self, *args: str) -> None:
        data = self.local / "pg" / "data"
        bindir = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))[-1].parent
        argv = [str(bindir / "pg_ctl"), "-D", str(data), *args]
        if os.geteuid() == 0:
            argv = ["runuser", "-u", "postgres", "--", *argv]
        subprocess.run(argv, check=True, capture_output=True, cwd="/")

    def pg_fast_shutdown(self) -> None:
        """``pg_ctl stop -m fast`` on the chaos cluster's data directory: sessions are ended,
        open transactions rolled back, a checkpoint written."""
        self._pg_ctl("stop", "-m", "fast", "-w")

    def pg_start(self) -> None:
        """Start the chaos cluster again (its configuration was written by stack.sh up)."""
        log = self.local / "pg" / "log" / "postgres.log"
        self._pg_ctl("start", "-w", "-t", "60", "-l", str(log))

    # -- services ------------------------------------------------------------------------------
    def service_env(self, service: str, port: int) -> dict[str, str]:
        prefix = f"DATAPARK_{service.upper()}_"
        return {
            **self.env(),
            f"{prefix}PORT": str(port),
            f"{prefix}DATABASE_URL": self.database_url,
            f"{prefix}KAFKA_BOOTSTRAP": self.bootstrap,
            f"{prefix}LOG_JSON": "false",
            f"{prefix}LOG_LEVEL": "WARNING",
            f"{prefix}RELAY_POLL_SECONDS": "0.5",
            f"{prefix}CHECKPOINT_EVERY_SECONDS": "5",
            f"{prefix}DATABASE_POOL_SIZE": "5",
        }

    def start_services(self, logs: Path, workers: tuple[str, ...] = ("trading",)) -> None:
        logs.mkdir(parents=True, exist_ok=True)
        for service in SERVICES:
            port = self.ports.service(service)
            self.processes[service] = Process(
                service,
                [sys.executable, "-m", f"datapark_{service}"],
                self.service_env(service, port),
                port,
                logs / f"{service}.log",
            )
        for service in workers:
            port = self.ports.worker(service)
            self.processes[f"{service}-worker"] = Process(
                f"{service}-worker",
                [sys.executable, "-m", "datapark_eventing.worker", service],
                self.service_env(service, port),
                port,
                logs / f"{service}-worker.log",
            )
        for process in self.processes.values():
            if _port_taken(process.port):
                raise RuntimeError(f"port {process.port} is taken: is another chaos run alive?")
        try:
            for process in self.processes.values():
                process.start()
            for process in self.processes.values():
                process.wait_ready()
        except BaseException:
            self.stop_services()
            raise

    def stop_services(self) -> None:
        for process in self.processes.values():
            process.stop()
