"""The ``datapark-audit`` command line (also ``python -m datapark_audit``).

Exit status: 0 the log is clean (or the command succeeded), 1 violations were found, 2 a usage
error (bad flags, unreadable key file, unreachable cluster) — never a traceback for those.
"""

from __future__ import annotations

import asyncio
import gc
import json
import multiprocessing
import os
import sys
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import ProcessPoolExecutor
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from aiokafka.errors import KafkaError
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text

from datapark_audit import invariants as invariants_module
from datapark_audit import rebuild as rebuild_module
from datapark_audit import report as report_module
from datapark_audit.log import Event, load_events
from datapark_audit.reader import LogReader, select_topics
from datapark_audit.record import Inspected, RawRecord, as_raw, init_worker, inspect_batch
from datapark_audit.settings import AuditSettings, UsageError
from datapark_audit.verify import Finding, Verifier, VerifyResult, dumps, summary_lines

app = typer.Typer(
    name="datapark-audit",
    help="Verify, rebuild and cross-check datapark's event log, trusting none of the services.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console()
err = Console(stderr=True)

Bootstrap = Annotated[
    str | None,
    typer.Option(help="Kafka bootstrap servers (env DATAPARK_AUDIT_BOOTSTRAP)", show_default=False),
]
SecurityProtocol = Annotated[
    str | None,
    typer.Option(help="PLAINTEXT, SSL, SASL_PLAINTEXT or SASL_SSL (env ..._SECURITY_PROTOCOL)"),
]
CaFile = Annotated[str | None, typer.Option(help="CA bundle for TLS (env ..._SSL_CAFILE)")]
CertFile = Annotated[str | None, typer.Option(help="client certificate (env ..._SSL_CERTFILE)")]
KeyFile = Annotated[str | None, typer.Option(help="client key (env ..._SSL_KEYFILE)")]
SaslMechanism = Annotated[
    str | None, typer.Option(help="PLAIN, SCRAM-SHA-256 or SCRAM-SHA-512 (env ..._SASL_MECHANISM)")
]
SaslUser = Annotated[
    str | None,
    typer.Option(help="SASL user; the password only from DATAPARK_AUDIT_SASL_PASSWORD"),
]
CheckpointKeys = Annotated[
    Path | None,
    typer.Option(help="JWKS file of the services' checkpoint keys (env ..._CHECKPOINT_KEYS)"),
]
Topics = Annotated[
    list[str] | None,
    typer.Option(
        "--topic",
        help="read only this topic (repeatable); default: every platform topic and every DLQ",
    ),
]
TopicPrefix = Annotated[
    str | None, typer.Option(help="read every topic on the cluster whose name starts with this")
]
Since = Annotated[
    str | None, typer.Option(help="read from this time on (ISO 8601, e.g. 2026-01-01T00:00:00Z)")
]
NoProgress = Annotated[bool, typer.Option("--no-progress", help="no progress bar")]


def _parsed(
    bootstrap: str | None,
    security_protocol: str | None,
    ssl_cafile: str | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    sasl_mechanism: str | None,
    sasl_username: str | None,
    checkpoint_keys: Path | None = None,
    database_url: str | None = None,
    *,
    time_flag: str,
    time_text: str | None,
) -> tuple[AuditSettings, datetime | None]:
    """The settings from the connection flags and the time given by ``time_flag``; a usage
    error ends the command with status 2."""
    try:
        return (
            _settings(
                bootstrap,
                security_protocol,
                ssl_cafile,
                ssl_certfile,
                ssl_keyfile,
                sasl_mechanism,
                sasl_username,
                checkpoint_keys,
                database_url,
            ),
            _time(time_text, time_flag),
        )
    except UsageError as exc:
        _fail(str(exc))


async def _load(
    settings: AuditSettings,
    topic: list[str] | None,
    topic_prefix: str | None,
    exclude_test_injected: bool,
    no_progress: bool,
) -> list[Event]:
    return await load_events(
        settings,
        topics=topic,
        topic_prefix=topic_prefix,
        exclude_injected=exclude_test_injected,
        progress=_progress_factory(no_progress),
    )


def _settings(
    bootstrap: str | None,
    security_protocol: str | None,
    ssl_cafile: str | None,
    ssl_certfile: str | None,
    ssl_keyfile: str | None,
    sasl_mechanism: str | None,
    sasl_username: str | None,
    checkpoint_keys: Path | None,
    database_url: str | None = None,
) -> AuditSettings:
    given: dict[str, Any] = {
        "bootstrap": bootstrap,
        "security_protocol": security_protocol,
        "ssl_cafile": ssl_cafile,
        "ssl_certfile": ssl_certfile,
        "ssl_keyfile": ssl_keyfile,
        "sasl_mechanism": sasl_mechanism,
        "sasl_username": sasl_username,
        "checkpoint_keys": str(checkpoint_keys) if checkpoint_keys else None,
        "database_url": database_url,
    }
    try:
        return AuditSettings(**{k: v for k, v in given.items() if v is not None})
    except ValueError as exc:
        first = str(exc).splitlines()
        raise UsageError(" ".join(first[:3])) from None


def _time(text: str | None, flag: str) -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(f"{flag}: {text!r} is not an ISO 8601 time") from None
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class _Rate(ProgressColumn):
    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:,.0f} records/s", style="cyan")


@contextmanager
def _progress(total: int, label: str, enabled: bool) -> Iterator[Callable[[int], None]]:
    if not enabled or total == 0:
        yield lambda _n: None
        return
    bar = Progress(
        TextColumn(label),
        BarColumn(),
        MofNCompleteColumn(),
        _Rate(),
        TimeRemainingColumn(),
        console=err,
    )
    with bar:
        task = bar.add_task(label, total=total)
        yield lambda n: bar.advance(task, n)


def _fail(message: str) -> NoReturn:
    err.print(f"[bold red]datapark-audit:[/] {message}", highlight=False)
    raise typer.Exit(2)


def _run(coro: Any) -> Any:
    try:
        return asyncio.run(coro)
    except UsageError as exc:
        _fail(str(exc))
    except (KafkaError, OSError) as exc:  # the cluster went away in the middle of a read
        _fail(f"reading the log failed ({type(exc).__name__}: {exc}); nothing was concluded")
    except KeyboardInterrupt:
        _fail("interrupted")
    return None


async def run_verify(
    settings: AuditSettings,
    *,
    topics: list[str] | None = None,
    topic_prefix: str | None = None,
    since: datetime | None = None,
    exclude_injected: bool = False,
    require_checkpoints: bool = False,
    progress: bool = False,
    workers: int | None = None,
    sdk_every_record: bool = False,
) -> VerifyResult:
    jwks, development = settings.keys()
    async with LogReader(settings) as reader:
        existing = await reader.existing_topics()
        requested = list(topics or [])
        if topic_prefix:
            requested += sorted(t for t in existing if t.startswith(topic_prefix))
            if not requested:
                raise UsageError(f"no topic on the cluster starts with {topic_prefix!r}")
        unknown = [t for t in topics or () if t not in existing]
        if unknown:
            raise UsageError(f"no such topic on the cluster: {', '.join(unknown)}")
        selected = select_topics(requested or None, existing)
        window = await reader.open(selected, since)
        verifier = Verifier(
            jwks=jwks,
            development_keys=development,
            from_genesis=since is None,
            exclude_injected=exclude_injected,
            window=window,
            require_checkpoints=require_checkpoints,
            sdk_every_record=sdk_every_record,
        )
        verifier.result.missing_topics = window.missing_topics
        if workers is None:
            cpus = os.cpu_count() or 1
            # the reading process needs a core of its own for the workers to pay off
            workers = cpus - 1 if cpus >= 3 and window.total >= PARALLEL_FROM else 1
        with _progress(window.total, "verify", progress) as advance, _without_cycle_collector():
            if workers <= 1:
                async for batch in reader.batches(on_progress=advance):
                    verifier.feed(batch)
            else:
                await _feed_in_parallel(verifier, reader, advance, workers, sdk_every_record)
    return verifier.finish()


@contextmanager
def _without_cycle_collector() -> Iterator[None]:
    """The read with Python's cyclic garbage collector paused (reference counting still frees
    every object that is dropped). ``verify`` keeps a few objects per record read -- offsets,
    hashes, chain heads -- so each periodic full collection traverses a heap that only grows,
    for nothing: the per-record work creates no reference cycles. Measured on 20,000 records:
    about a tenth of verify's CPU time. The collector is restored afterwards (what cycles an
    error's traceback may have made are collected then)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


# Below this many records a pool of worker processes costs more than it saves.
PARALLEL_FROM = 20_000


async def _feed_in_parallel(
    verifier: Verifier,
    reader: LogReader,
    advance: Callable[[int], None],
    workers: int,
    sdk_every_record: bool,
) -> None:
    """Per-record checks (SDK parse, schema, hash) in worker processes; the log-wide ones
    (ids, chains, checkpoints) here, in the order the records were read."""
    loop = asyncio.get_running_loop()
    context = multiprocessing.get_context("fork")
    pending: deque[asyncio.Future[list[Inspected]]] = deque()
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=init_worker, initargs=(sdk_every_record,)
    ) as pool:
        chunk: list[RawRecord] = []  # 1,000 records a task (the reader hands out 500 a time)
        async for batch in reader.batches(on_progress=advance):
            chunk.extend(as_raw(record) for record in batch)
            if len(chunk) < 1000:
                continue
            pending.append(loop.run_in_executor(pool, inspect_batch, chunk))
            chunk = []
            while len(pending) > 4 * workers:
                for seen in await pending.popleft():
                    verifier.account(seen)
        if chunk:
            pending.append(loop.run_in_executor(pool, inspect_batch, chunk))
        while pending:
            for seen in await pending.popleft():
                verifier.account(seen)


def _print_findings(title: str, findings: list[Finding], limit: int = 50) -> None:
    if not findings:
        return
    table = Table(title=f"{title} ({len(findings)})", show_lines=False)
    for column in ("check", "location", "event id", "reason"):
        table.add_column(column, overflow="fold")
    for finding in findings[:limit]:
        table.add_row(finding.check, finding.location(), finding.event_id or "-", finding.reason)
    out.print(table)
    if len(findings) > limit:
        out.print(f"... and {len(findings) - limit} more (see --json)")


@app.command()
def verify(
    since: Since = None,
    topic: Topics = None,
    topic_prefix: TopicPrefix = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the result as JSON")
    ] = None,
    html_out: Annotated[
        Path | None, typer.Option("--html", help="write a self-contained HTML report")
    ] = None,
    exclude_test_injected: Annotated[
        bool,
        typer.Option(
            help="leave out records marked datapark-test-injected (forged on purpose by the "
            "project's own tests on a development broker); never on a production cluster"
        ),
    ] = False,
    require_checkpoints: Annotated[
        bool, typer.Option(help="a record no relay checkpoint vouches for is a violation")
    ] = False,
    workers: Annotated[
        int | None,
        typer.Option(
            help="worker processes for the per-record checks (default: one per CPU but one, "
            f"from {PARALLEL_FROM:,} records on and 3 CPUs up; 1 = in this process)"
        ),
    ] = None,
    sdk_every_record: Annotated[
        bool,
        typer.Option(
            help="have the official CloudEvents SDK read every record too, not only the first "
            "of each type, every checkpoint and every record with a finding (slower)"
        ),
    ] = False,
    bootstrap: Bootstrap = None,
    security_protocol: SecurityProtocol = None,
    ssl_cafile: CaFile = None,
    ssl_certfile: CertFile = None,
    ssl_keyfile: KeyFile = None,
    sasl_mechanism: SaslMechanism = None,
    sasl_username: SaslUser = None,
    checkpoint_keys: CheckpointKeys = None,
    no_progress: NoProgress = False,
) -> None:
    """Check every record, every aggregate's chain and every relay checkpoint."""
    settings, start = _parsed(
        bootstrap,
        security_protocol,
        ssl_cafile,
        ssl_certfile,
        ssl_keyfile,
        sasl_mechanism,
        sasl_username,
        checkpoint_keys,
        time_flag="--since",
        time_text=since,
    )
    result: VerifyResult = _run(
        run_verify(
            settings,
            topics=topic,
            topic_prefix=topic_prefix,
            since=start,
            exclude_injected=exclude_test_injected,
            require_checkpoints=require_checkpoints,
            progress=not no_progress and sys.stderr.isatty(),
            workers=workers,
            sdk_every_record=sdk_every_record,
        )
    )
    _print_findings("violations", result.violations)
    for line in summary_lines(result):
        out.print(line, highlight=False)
    if json_out:
        json_out.write_text(dumps(result) + "\n")
    if html_out:
        html_out.write_text(report_module.render(result, None, None), encoding="utf-8")
    raise typer.Exit(0 if result.clean else 1)


@app.command()
def rebuild(
    as_of: Annotated[str, typer.Option("--as-of", help="the time to rebuild the state at")],
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="write JSON lines per aggregate kind here")
    ] = None,
    compare: Annotated[
        str | None,
        typer.Option(
            help="read-only database URL (role datapark_audit_reader) to diff the services' "
            "current tables with (env DATAPARK_AUDIT_DATABASE_URL)"
        ),
    ] = None,
    json_out: Annotated[
        Path | None, typer.Option("--json", help="write the summary and mismatches as JSON")
    ] = None,
    exclude_test_injected: Annotated[
        bool, typer.Option(help="as for verify: development brokers only")
    ] = False,
    topic: Topics = None,
    topic_prefix: TopicPrefix = None,
    bootstrap: Bootstrap = None,
    security_protocol: SecurityProtocol = None,
    ssl_cafile: CaFile = None,
    ssl_certfile: CertFile = None,
    ssl_keyfile: KeyFile = None,
    sasl_mechanism: SaslMechanism = None,
    sasl_username: SaslUser = None,
    no_progress: NoProgress = False,
) -> None:
    """Rebuild from the log alone the state of every aggregate as of a time."""
    settings, moment = _parsed(
        bootstrap,
        security_protocol,
        ssl_cafile,
        ssl_certfile,
        ssl_keyfile,
        sasl_mechanism,
        sasl_username,
        None,
        compare,
        time_flag="--as-of",
        time_text=as_of,
    )
    assert moment is not None

    async def work() -> tuple[rebuild_module.State, list[str]]:
        log_read_at = datetime.now(UTC)
        events = await _load(settings, topic, topic_prefix, exclude_test_injected, no_progress)
        state = rebuild_module.rebuild(events, as_of=moment)
        mismatches: list[str] = []
        if settings.database_url is not None:
            mismatches = await rebuild_module.compare(
                state, settings.database_url.get_secret_value(), log_read_at=log_read_at
            )
        return state, mismatches

    state, mismatches = _run(work())
    if out_dir:
        written = rebuild_module.write(state, out_dir)
        out.print(f"wrote {', '.join(str(p) for p in written)}", highlight=False)
    for line in rebuild_module.summary(state):
        out.print(line, highlight=False)
    if json_out:
        json_out.write_text(
            json.dumps(
                {
                    "as_of": moment.isoformat(),
                    "aggregates": len(state.aggregates),
                    "compared": settings.database_url is not None,
                    "mismatches": mismatches,
                },
                indent=2,
                ensure_ascii=False,
            )
            + "\n"
        )
    if settings.database_url is not None:
        for line in mismatches[:200]:
            out.print(f"mismatch: {line}", highlight=False)
        out.print(
            "compare: no mismatch" if not mismatches else f"compare: {len(mismatches)} mismatch(es)"
        )
        raise typer.Exit(1 if mismatches else 0)


def _progress_factory(no_progress: bool) -> Callable[[int], Any]:
    def make(total: int) -> Any:
        return _progress(total, "read", not no_progress and sys.stderr.isatty())

    return make


@app.command()
def invariants(
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="check the log up to this time")
    ] = None,
    json_out: Annotated[Path | None, typer.Option("--json", help="write findings as JSON")] = None,
    exclude_test_injected: Annotated[
        bool, typer.Option(help="as for verify: development brokers only")
    ] = False,
    topic: Topics = None,
    topic_prefix: TopicPrefix = None,
    bootstrap: Bootstrap = None,
    security_protocol: SecurityProtocol = None,
    ssl_cafile: CaFile = None,
    ssl_certfile: CertFile = None,
    ssl_keyfile: KeyFile = None,
    sasl_mechanism: SaslMechanism = None,
    sasl_username: SaslUser = None,
    no_progress: NoProgress = False,
) -> None:
    """Check the rules that hold across services, from the log alone."""
    settings, moment = _parsed(
        bootstrap,
        security_protocol,
        ssl_cafile,
        ssl_certfile,
        ssl_keyfile,
        sasl_mechanism,
        sasl_username,
        time_flag="--as-of",
        time_text=as_of,
    )

    async def work() -> list[Finding]:
        events = await _load(settings, topic, topic_prefix, exclude_test_injected, no_progress)
        return invariants_module.check(events, as_of=moment)

    findings: list[Finding] = _run(work())
    _print_findings("invariant violations", findings)
    out.print(
        "invariants: all hold" if not findings else f"invariants: {len(findings)} VIOLATION(S)",
        highlight=False,
    )
    if json_out:
        json_out.write_text(
            json.dumps([f.__dict__ for f in findings], indent=2, ensure_ascii=False) + "\n"
        )
    raise typer.Exit(1 if findings else 0)


@app.command()
def report(
    html_out: Annotated[Path, typer.Option("--html", help="the HTML file to write")],
    since: Since = None,
    topic: Topics = None,
    topic_prefix: TopicPrefix = None,
    exclude_test_injected: Annotated[
        bool, typer.Option(help="as for verify: development brokers only")
    ] = False,
    bootstrap: Bootstrap = None,
    security_protocol: SecurityProtocol = None,
    ssl_cafile: CaFile = None,
    ssl_certfile: CertFile = None,
    ssl_keyfile: KeyFile = None,
    sasl_mechanism: SaslMechanism = None,
    sasl_username: SaslUser = None,
    checkpoint_keys: CheckpointKeys = None,
    no_progress: NoProgress = False,
) -> None:
    """Verify, check the invariants and write one self-contained HTML file with charts."""
    settings, start = _parsed(
        bootstrap,
        security_protocol,
        ssl_cafile,
        ssl_certfile,
        ssl_keyfile,
        sasl_mechanism,
        sasl_username,
        checkpoint_keys,
        time_flag="--since",
        time_text=since,
    )

    async def work() -> tuple[VerifyResult, list[Finding], Any]:
        result = await run_verify(
            settings,
            topics=topic,
            topic_prefix=topic_prefix,
            since=start,
            exclude_injected=exclude_test_injected,
            progress=not no_progress and sys.stderr.isatty(),
        )
        events = await _load(settings, topic, topic_prefix, exclude_test_injected, no_progress)
        return result, invariants_module.check(events), report_module.figures(events)

    result, findings, figures = _run(work())
    html_out.write_text(report_module.render(result, findings, figures), encoding="utf-8")
    for line in summary_lines(result):
        out.print(line, highlight=False)
    out.print(f"invariant violations: {len(findings)}; report written to {html_out}")
    raise typer.Exit(0 if result.clean and not findings else 1)


def main() -> None:
    app()
