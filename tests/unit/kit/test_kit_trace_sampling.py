"""Spans are recorded only while something exports them; trace context exists regardless."""

from __future__ import annotations

from opentelemetry import propagate
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from datapark_kit.telemetry import DataparkTracerProvider


def test_no_exporter_no_recording_but_a_trace_context() -> None:
    provider = DataparkTracerProvider("unit", 1.0)
    tracer = provider.get_tracer("unit")
    with tracer.start_as_current_span("request") as span:
        assert not span.is_recording()
        carrier: dict[str, str] = {}
        propagate.inject(carrier)
    _, trace_id, _, flags = carrier["traceparent"].split("-")
    assert int(trace_id, 16) == span.get_span_context().trace_id != 0
    assert int(flags, 16) & 1 == 0  # not sampled


def test_an_exporter_turns_recording_on() -> None:
    provider = DataparkTracerProvider("unit", 1.0)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("unit").start_as_current_span("request") as span:
        assert span.is_recording()
    assert [s.name for s in exporter.get_finished_spans()] == ["request"]


def test_ratio_zero_records_no_root_trace() -> None:
    provider = DataparkTracerProvider("unit", 0.0)
    exporter = InMemorySpanExporter()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    with provider.get_tracer("unit").start_as_current_span("request") as span:
        assert not span.is_recording()
    assert exporter.get_finished_spans() == ()
