"""What several API worker processes need from datapark_kit.serve and datapark_kit.metrics
before any process is started: a protocol class that survives the pickle into a spawned
worker, and a metrics directory that starts empty (the running processes are tested in
tests/integration/kit/test_kit_web_workers.py)."""

from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pytest
import uvicorn
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.multiprocess import MultiProcessCollector

from datapark_kit import metrics
from datapark_kit.serve import HeadTimeoutH11Protocol, protocol_class, uvicorn_options
from datapark_kit.settings import ServiceSettings


def test_the_protocol_class_pickles_with_its_timeout() -> None:
    cls = protocol_class(ServiceSettings(header_read_timeout_seconds=2.5))
    assert issubclass(cls, HeadTimeoutH11Protocol)
    assert cls.header_read_timeout == 2.5
    assert pickle.loads(pickle.dumps(cls)) is cls
    other = protocol_class(ServiceSettings(header_read_timeout_seconds=7.0))
    assert other is not cls
    assert other.header_read_timeout == 7.0


def test_the_protocol_class_is_rebuilt_in_a_fresh_interpreter() -> None:
    """A spawned worker has not made the class: unpickling there builds it from its timeout."""
    data = pickle.dumps(protocol_class(ServiceSettings(header_read_timeout_seconds=3.25)))
    code = (
        "import pickle, sys; cls = pickle.loads(sys.stdin.buffer.read()); "
        "print(cls.__mro__[1].__name__, cls.header_read_timeout)"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], input=data, capture_output=True, check=True, timeout=60
    )
    assert done.stdout.decode().split() == ["HeadTimeoutH11Protocol", "3.25"]


def test_a_multi_worker_config_pickles() -> None:
    """uvicorn sends its whole config to every worker process it spawns."""
    options = uvicorn_options(ServiceSettings()) | {"factory": True, "workers": 2}
    config = uvicorn.Config("datapark_rental.app:build_app", **options)
    copy = pickle.loads(pickle.dumps(config))
    assert copy.http is config.http
    assert copy.workers == 2
    assert copy.factory is True


def test_a_given_directory_starts_empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "counter_999999.db"
    stale.write_bytes(b"left by the previous run")
    keep = tmp_path / "notes.txt"
    keep.write_text("not a metrics file")
    monkeypatch.setenv(metrics.MULTIPROC_DIR_ENV, str(tmp_path))
    with metrics.multiprocess_values(needed=True) as directory:
        assert directory == tmp_path
        assert not stale.exists()
    assert keep.exists()
    assert tmp_path.exists()  # given by the environment: kept


def test_a_directory_of_its_own_for_one_run(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(metrics.MULTIPROC_DIR_ENV, raising=False)
    with metrics.multiprocess_values(needed=False) as nothing:
        assert nothing is None
        assert metrics.MULTIPROC_DIR_ENV not in os.environ
    with metrics.multiprocess_values(needed=True) as made:
        assert made is not None
        assert made.is_dir()
        assert os.environ[metrics.MULTIPROC_DIR_ENV] == str(made)
    assert not made.exists()
    assert metrics.MULTIPROC_DIR_ENV not in os.environ


def test_live_gauges_of_dead_processes_are_forgotten(tmp_path: Path) -> None:
    """A gauge file of a pid that is not running (a crashed worker) no longer counts; the
    files of running processes and every counter file stay."""
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    alive = str(os.getpid())
    for name in (
        f"gauge_livesum_{dead}.db",
        f"gauge_livesum_{alive}.db",
        f"gauge_livemostrecent_{dead}.db",
        f"counter_{dead}.db",
    ):
        (tmp_path / name).write_bytes(b"")
    metrics.forget_dead_processes(tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"counter_{dead}.db",
        f"gauge_livesum_{alive}.db",
    ]


def test_every_gauge_says_how_processes_combine() -> None:
    """The default ('all') would add a pid label to every series, breaking the alerts'
    expressions; each gauge of the platform picks its mode."""
    from datapark_eventing import metrics as eventing_metrics

    gauges = [
        value
        for module in (metrics, eventing_metrics)
        for value in vars(module).values()
        if isinstance(value, Gauge)
    ]
    assert len(gauges) >= 5
    assert all(gauge._multiprocess_mode != "all" for gauge in gauges)
    assert eventing_metrics.RELAY_LEADER._multiprocess_mode == "livesum"


def test_the_collector_reads_the_directory(tmp_path: Path) -> None:
    """Sanity of the library call exposition() relies on: an empty directory collects nothing."""
    registry = CollectorRegistry()
    MultiProcessCollector(registry, path=str(tmp_path))  # type: ignore[no-untyped-call]
    assert list(registry.collect()) == []
