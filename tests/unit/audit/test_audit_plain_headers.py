"""The read path's shortcuts for the common record take nothing away: a record whose header
values are not all plain ASCII (a quote, a backslash, Chinese, a control character) goes the
general way and is judged alike; the envelope ``from_kafka`` builds without its ``__init__`` is
the envelope; schema validators compiled on first use are the exported schemas'."""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from support.kafka_records import Rec

from datapark_audit.cloudevent import NotACloudEvent, read_binary
from datapark_audit.record import SchemaValidators
from datapark_audit.settings import DEV_CHECKPOINT_JWKS
from datapark_audit.verify import Verifier
from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import Envelope, MalformedEvent, event_hash, plain_event_hash
from datapark_eventing.replay import ReplayedRecord

T0 = datetime(2026, 11, 30, 13, 0, tzinfo=UTC)
PARTICIPANT = "datapark.catalog.participant.registered.v1"


def _envelope(source: str = "/datapark/catalog", subject: str | None = None) -> Envelope:
    pid = uuid.uuid4()
    return Envelope(
        id=uuid.uuid4(),
        source=source,
        type=PARTICIPANT,
        subject=subject or str(pid),
        time=T0,
        data={
            "participant_id": str(pid),
            "name": "甘肃数据",
            "uscc": None,
            "kind": "company",
            "region_code": "620102",
            "roles": ["participant"],
            "park_member": True,
            "status": "active",
            "occurred_at": "2026-11-30T13:00:00.000000Z",
        },
        aggseq=1,
        prevhash=GENESIS_HASH,
    ).sealed()


def _verify(env: Envelope, headers: list[tuple[str, bytes]] | None = None) -> Any:
    verifier = Verifier(jwks=DEV_CHECKPOINT_JWKS)
    verifier.feed([Rec("t", 0, 0, env.key, env.value(), headers or env.headers())])
    return verifier.finish()


def test_a_platform_record_is_plain() -> None:
    env = _envelope()
    assert read_binary(env.headers(), env.key).plain


@pytest.mark.parametrize(
    "subject",
    ['lease "7"', "back\\slash", "电力负荷曲线", "caf\u00e9", "emoji \U0001f600"],
)
def test_a_subject_that_needs_escaping_goes_the_general_way_and_verifies(subject: str) -> None:
    env = _envelope(subject=subject)
    assert not read_binary(env.headers(), env.key).plain
    result = _verify(env)
    assert result.clean, result.violations
    assert result.events == 1


def test_a_record_with_a_quote_in_another_header_is_judged_alike() -> None:
    env = _envelope()
    headers = [*env.headers(), ("traceparent", b'0"0')]
    assert not read_binary(headers, env.key).plain
    assert _verify(env, headers).clean


def test_an_altered_attribute_is_caught_on_both_ways() -> None:
    plain = _envelope()
    quoted = _envelope(subject='lease "7"')
    for env in (plain, quoted):
        headers = [
            (n, b"datapark.catalog.participant.updated.v1" if n == "ce_type" else v)
            for n, v in env.headers()
        ]
        checks = {v.check for v in _verify(env, headers).violations}
        assert "eventhash" in checks


def test_a_control_character_is_still_refused() -> None:
    env = _envelope()
    headers = [(n, b"a\x07b" if n == "ce_subject" else v) for n, v in env.headers()]
    with pytest.raises(NotACloudEvent, match="CloudEvents String"):
        read_binary(headers, None)


def test_a_cloudevents_header_given_twice_is_refused_with_its_name() -> None:
    env = _envelope()
    headers = [*env.headers(), ("ce_type", b"x")]
    with pytest.raises(NotACloudEvent, match="'ce_type' appears more than once"):
        read_binary(headers, env.key)


def test_plain_event_hash_is_event_hash_for_plain_texts() -> None:
    fields: dict[str, Any] = {
        "id": str(uuid.uuid4()),
        "source": "/datapark/catalog",
        "type": PARTICIPANT,
        "subject": str(uuid.uuid4()),
        "time": "2026-11-30T13:00:00.000000Z",
        "dataschema": "https://datapark.example/schemas/x.json",
        "prevhash": GENESIS_HASH,
    }
    for aggseq in (1, 2**53 - 1):
        assert plain_event_hash(**fields, aggseq=aggseq, value=b"{}") == event_hash(
            **fields, aggseq=aggseq, value=b"{}"
        )


def test_from_kafka_builds_the_same_envelope_as_its_constructor() -> None:
    env = replace(_envelope(), traceparent="00-" + "a" * 32 + "-" + "b" * 16 + "-01")
    read = Envelope.from_kafka(env.key, env.value(), env.headers())
    assert read == env
    assert vars(read) == vars(env)
    assert replace(read, aggseq=2).aggseq == 2  # still a frozen dataclass
    with pytest.raises(AttributeError):
        read.aggseq = 5  # type: ignore[misc]


def test_an_id_not_in_canonical_form_is_hashed_in_canonical_form() -> None:
    env = _envelope()
    upper = [(n, str(env.id).upper().encode() if n == "ce_id" else v) for n, v in env.headers()]
    assert Envelope.from_kafka(env.key, env.value(), upper) == env
    braced = [(n, f"{{{env.id.hex}}}".encode() if n == "ce_id" else v) for n, v in env.headers()]
    assert Envelope.from_kafka(env.key, env.value(), braced) == env


def test_schema_validators_are_compiled_on_first_use_and_kept() -> None:
    validators = SchemaValidators()
    assert len(validators) == 0
    first = validators[PARTICIPANT]
    assert first is not None
    assert validators[PARTICIPANT] is first
    assert len(validators) == 1
    assert validators["datapark.no.such.type.v1"] is None
    assert validators["../../pyproject"] is None
    assert len(validators) == 1
    assert not first.is_valid({"participant_id": "x"})


def test_a_header_without_a_value_reads_as_empty_and_a_bad_one_is_still_refused() -> None:
    """from_kafka decodes every header in one pass and takes the careful pass only for a
    header without a value: the results are the same as one careful pass's."""
    env = _envelope()
    # an optional attribute without a value: the empty string, the event still reads
    with_empty = [*env.headers(), ("tracestate", None)]
    read = Envelope.from_kafka(env.key, env.value(), with_empty)  # type: ignore[arg-type]
    assert read == replace(env, tracestate="")
    # a required one without a value: missing
    no_id = [(n, None if n == "ce_id" else v) for n, v in env.headers()]
    with pytest.raises(MalformedEvent, match="missing CloudEvents headers: ce_id"):
        Envelope.from_kafka(env.key, env.value(), no_id)  # type: ignore[arg-type]
    # a header that is not UTF-8, after a header without a value, and in one of no interest
    for headers in (
        [("x-empty", None), *env.headers(), ("x-other", b"\xff")],
        [*env.headers(), ("x-other", b"\xff")],
    ):
        with pytest.raises(MalformedEvent, match="not UTF-8"):
            Envelope.from_kafka(env.key, env.value(), headers)  # type: ignore[arg-type]


def test_a_replayed_record_is_immutable_and_names_its_fields() -> None:
    env = _envelope()
    record = ReplayedRecord("t", 1, 7, env, None, tuple(env.headers()))
    assert (record.topic, record.partition, record.offset) == ("t", 1, 7)
    assert record.envelope is env
    assert record.error is None
    with pytest.raises(AttributeError):
        record.offset = 8  # type: ignore[misc]
    assert ReplayedRecord("t", 0, 0, None, "bad").headers == ()
