"""The AsyncAPI document: current, accepted by the official parser, complete, with valid examples.

The parser is ``@asyncapi/parser`` from the npm registry, installed by ``tools/asyncapi/setup.sh``
(``make test`` runs it; so does this module when the install is missing or stale) and run with
the machine's Node.js on ``tools/asyncapi/check.mjs``, which also validates every message
example against its payload and headers schemas with ajv.
"""

from __future__ import annotations

import copy
import json
import re
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import ConfigDict, model_validator

from datapark_contracts.asyncapi import DLQ_REASONS, asyncapi_document, example_payload
from datapark_contracts.envelope import Envelope
from datapark_contracts.payloads import EventPayload, all_event_types
from datapark_contracts.schemas import SCHEMA_DIR
from datapark_contracts.topics import CONSUMER_GROUPS, TOPICS, all_topics
from datapark_eventing import consumer
from datapark_eventing.access import service_access

ROOT = Path(__file__).resolve().parents[3]
TOOL = ROOT / "tools" / "asyncapi"
COMMITTED = SCHEMA_DIR / "asyncapi.json"
NOTE = uuid.UUID("019df252-b5c0-7000-8000-000000000001")


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    return asyncapi_document()


@pytest.fixture(scope="module")
def parser() -> None:
    subprocess.run(["bash", str(TOOL / "setup.sh")], check=True, timeout=600)


def run_parser(path: Path) -> tuple[int, dict[str, Any]]:
    done = subprocess.run(
        ["node", str(TOOL / "check.mjs"), str(path)],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=TOOL,
    )
    assert done.stdout, done.stderr
    report: dict[str, Any] = json.loads(done.stdout)
    return done.returncode, report


def walk(node: Any, path: str = "") -> Iterator[tuple[str, dict[str, Any]]]:
    if isinstance(node, dict):
        yield path, node
        for key, value in node.items():
            yield from walk(value, f"{path}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from walk(value, f"{path}/{i}")


def test_committed_document_is_current(document: dict[str, Any]) -> None:
    committed = json.loads(COMMITTED.read_text())
    assert committed == json.loads(json.dumps(document)), (
        "asyncapi.json is stale: python -m datapark_contracts.schemas export"
    )


def test_official_parser_accepts_it_and_every_example_validates(
    parser: None, document: dict[str, Any]
) -> None:
    code, report = run_parser(COMMITTED)
    errors = [d for d in report["diagnostics"] if d["severity"] == "error"]
    warnings = [d for d in report["diagnostics"] if d["severity"] == "warning"]
    assert errors == []
    assert warnings == []
    assert report["examples"]["errors"] == []
    examples = sum(len(m["examples"]) for m in document["components"]["messages"].values())
    assert report["examples"]["checked"] == examples == len(document["components"]["messages"])
    assert code == 0


def test_the_check_fails_on_what_the_parser_rejects(parser: None, tmp_path: Path) -> None:
    """The check is not vacuous: pydantic's discriminator object is an error, so is an example
    that breaks its schema."""
    broken = json.loads(COMMITTED.read_text())
    schema = broken["components"]["schemas"]["Terms"]["properties"]["pricing"]
    schema["discriminator"] = {"propertyName": "kind"}
    path = tmp_path / "discriminator.json"
    path.write_text(json.dumps(broken))
    code, report = run_parser(path)
    assert code == 1
    assert any(d["severity"] == "error" for d in report["diagnostics"])

    bad_example = json.loads(COMMITTED.read_text())
    message = bad_example["components"]["messages"]["datapark_trading_order_placed_v1"]
    message["examples"][0]["payload"]["surprise"] = 1
    message["examples"][0]["headers"]["ce_aggseq"] = "first"
    path = tmp_path / "example.json"
    path.write_text(json.dumps(bad_example))
    code, report = run_parser(path)
    assert code == 1
    assert {e["part"] for e in report["examples"]["errors"]} == {"payload", "headers"}


def test_every_topic_is_a_channel_with_its_messages(document: dict[str, Any]) -> None:
    addresses = {c["address"]: c for c in document["channels"].values()}
    assert set(addresses) == {t.name for t in all_topics()}
    assert {"audit.checkpoints.v1", *(f"{g.group_id}.dlq" for g in CONSUMER_GROUPS)} <= set(
        addresses
    )
    events = all_event_types()
    for topic in TOPICS:
        names = {
            document["components"]["messages"][ref["$ref"].rsplit("/", 1)[1]]["name"]
            for ref in addresses[topic.name]["messages"].values()
        }
        assert names == {n for n, m in events.items() if m.topic == topic.name}
        assert addresses[topic.name]["bindings"]["kafka"]["partitions"] == topic.partitions


def test_send_and_receive_operations_per_service_and_group(document: dict[str, Any]) -> None:
    channels = document["channels"]

    def ops(action: str) -> set[tuple[str, str, str | None]]:
        found = set()
        for op in document["operations"].values():
            if op["action"] != action:
                continue
            address = channels[op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
            group = op.get("bindings", {}).get("kafka", {}).get("groupId", {}).get("enum", [None])
            found.add((op["tags"][0]["name"], address, group[0]))
        return found

    sends, receives = ops("send"), ops("receive")
    for topic in TOPICS:
        if topic.owner != "platform":
            assert (topic.owner, topic.name, None) in sends
    for service in ("catalog", "trading", "rental", "subsidy"):
        assert (service, "audit.checkpoints.v1", None) in sends
    for group in CONSUMER_GROUPS:
        assert (group.service, group.dlq, None) in sends
        for name in group.topics:
            assert (group.service, name, group.group_id) in receives
    assert {a for s, a, _ in receives if s == "audit"} == {t.name for t in all_topics()}
    # an operation's messages are those of its channel
    for op in document["operations"].values():
        channel = op["channel"]["$ref"].rsplit("/", 1)[1]
        for ref in op["messages"]:
            assert ref["$ref"].startswith(f"#/channels/{channel}/messages/")
            assert ref["$ref"].rsplit("/", 1)[1] in channels[channel]["messages"]


def test_headers_declare_every_attribute_the_envelope_sends(document: dict[str, Any]) -> None:
    declared = document["components"]["schemas"]["CloudEventHeaders"]["properties"]
    message = document["components"]["messages"]["datapark_trading_order_placed_v1"]
    sent = {name for name, _ in _envelope_of(message).headers()}
    assert {"ce_aggseq", "ce_prevhash", "ce_eventhash", "traceparent"} <= sent
    assert sent <= set(declared)
    assert "tracestate" in declared


def test_servers_and_security(document: dict[str, Any]) -> None:
    servers = document["servers"]
    assert servers["local"] == servers["local"] | {"host": "127.0.0.1:9092", "protocol": "kafka"}
    production = servers["production"]
    assert production["protocol"] == "kafka-secure"
    assert production["host"] == "datapark-kafka-bootstrap:9093"
    assert production["security"] == [{"$ref": "#/components/securitySchemes/scramSha512"}]
    assert document["components"]["securitySchemes"]["scramSha512"]["type"] == "scramSha512"


def test_no_pydantic_only_schema_keywords_remain(document: dict[str, Any]) -> None:
    for path, node in walk(document):
        assert "$defs" not in node, path
        assert "prefixItems" not in node, path
        assert not isinstance(node.get("discriminator"), dict), path
        ref = node.get("$ref")
        if isinstance(ref, str):
            assert ref.startswith("#/"), path
            target: Any = document
            for part in ref[2:].split("/"):
                target = target[part]


def _envelope_of(message: dict[str, Any]) -> Envelope:
    example = message["examples"][0]
    headers = [(k, v.encode()) for k, v in example["headers"].items()]
    value = json.dumps(example["payload"]).encode()
    return Envelope.from_kafka(example["headers"]["ce_subject"].encode(), value, headers)


def test_examples_are_real_events_their_models_accept(document: dict[str, Any]) -> None:
    """Each example's payload is accepted by its model and round-trips unchanged; its headers
    make a CloudEvent whose hash chain verifies (``Envelope.from_kafka`` checks the hash)."""
    events = all_event_types()
    messages = document["components"]["messages"]
    checked = 0
    for name, model in events.items():
        message = messages[name.replace(".", "_")]
        (example,) = message["examples"]
        parsed = model.model_validate_json(json.dumps(example["payload"]))
        assert parsed.to_data() == example["payload"]
        envelope = _envelope_of(message)
        assert envelope.type == name
        assert envelope.subject == parsed.aggregate_id()
        checked += 1
    assert checked == len(events) > 100
    tampered = copy.deepcopy(messages["datapark_trading_order_placed_v1"])
    tampered["examples"][0]["headers"]["ce_aggseq"] = "2"
    with pytest.raises(ValueError, match="eventhash"):
        _envelope_of(tampered)


class _WithExample(EventPayload):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"note_id": str(NOTE), "text": "hi"}]}
    )

    note_id: uuid.UUID
    text: str


class _OptionalConflicts(EventPayload):
    note_id: uuid.UUID
    retracted: bool | None = None
    reason: str | None = None

    @model_validator(mode="after")
    def _reason_only_when_retracted(self) -> _OptionalConflicts:
        if self.reason is not None and not self.retracted:
            raise ValueError("a reason needs retracted")
        return self


class _Impossible(EventPayload):
    note_id: uuid.UUID

    @model_validator(mode="after")
    def _never(self) -> _Impossible:
        raise ValueError("nothing is accepted")


def test_example_payload_prefers_the_models_example_then_falls_back() -> None:
    schema = _WithExample.model_json_schema(mode="serialization")
    assert example_payload("x", _WithExample, schema) == {"note_id": str(NOTE), "text": "hi"}

    schema = _OptionalConflicts.model_json_schema(mode="serialization")
    minimal = example_payload("x", _OptionalConflicts, schema)
    assert minimal["retracted"] is None
    assert minimal["reason"] is None

    schema = _Impossible.model_json_schema(mode="serialization")
    with pytest.raises(ValueError, match="json_schema_extra"):
        example_payload("x", _Impossible, schema)


def test_the_integrators_guide_names_every_topic_and_header(document: dict[str, Any]) -> None:
    guide = (ROOT / "docs" / "events.md").read_text()
    for topic in all_topics():
        assert f"`{topic.name}`" in guide, topic.name
    for header in document["components"]["schemas"]["CloudEventHeaders"]["properties"]:
        assert f"`{header}`" in guide, header
    for header in document["components"]["schemas"]["DeadLetterHeaders"]["properties"]:
        assert f"`{header}`" in guide, header


def test_operations_match_the_kafka_acls(document: dict[str, Any]) -> None:
    """What the document says each principal sends and receives is what its ACLs allow."""
    channels = document["channels"]
    sends: dict[str, set[str]] = {}
    receives: dict[str, set[str]] = {}
    for op in document["operations"].values():
        address = channels[op["channel"]["$ref"].rsplit("/", 1)[1]]["address"]
        target = sends if op["action"] == "send" else receives
        target.setdefault(op["tags"][0]["name"], set()).add(address)
    for access in service_access():
        assert sends.get(access.service, set()) == set(access.writes), access.service
        assert receives.get(access.service, set()) == set(access.reads), access.service


def test_dead_letter_reasons_are_those_the_consumer_writes() -> None:
    source = Path(consumer.__file__).read_text()
    written = set(re.findall(r'PoisonMessage\("([a-z_]+)"', source))
    written |= set(re.findall(r'_dead_letter\(record, producer, "([a-z_]+)"', source))
    assert written == set(DLQ_REASONS)
