"""The AsyncAPI 3.0 document of every event, generated from the registries.

Built from the topic registry (``TOPICS``, ``CONSUMER_GROUPS``) and the payload models, and
exported as ``libs/contracts/schemas/asyncapi.json`` by ``python -m datapark_contracts.schemas
export``. The official parser (``@asyncapi/parser``, installed in ``tools/asyncapi``) must accept
it with no error: ``tests/unit/contracts/test_contracts_asyncapi.py`` runs it.

- one channel per topic, the dead-letter topics of the consumer groups included;
- one message per event type, its payload the model's JSON Schema with the parts the AsyncAPI
  Schema Object (a JSON Schema draft-07 superset) does not take rewritten: ``$defs`` move to
  ``components/schemas``, pydantic's OpenAPI-style ``discriminator`` objects are dropped (the
  ``oneOf`` branches already differ by a ``const``), ``prefixItems`` becomes ``items``;
- the CloudEvents attributes and the hash-chain extensions as the message headers;
- a ``send`` operation per writer and topic, a ``receive`` operation per consumer group and
  topic, and the auditor's group-less replay of every topic;
- one example per message: a payload built from the schema and accepted by the model, and the
  headers of that event sealed as the relay would seal it (a real ``eventhash``).
"""

from __future__ import annotations

import hashlib
import json
import re
import uuid
from datetime import UTC, datetime
from typing import Any

from datapark_contracts.canonical import GENESIS_HASH
from datapark_contracts.envelope import CONTENT_TYPE, SPECVERSION, Envelope, dataschema_for
from datapark_contracts.payloads import EventPayload, all_event_types
from datapark_contracts.topics import CONSUMER_GROUPS, TOPICS, ConsumerGroup, Topic, dlq_topic

ASYNCAPI_VERSION = "3.0.0"
DOCUMENT_VERSION = "1.1.0"
KAFKA_BINDING = "0.5.0"
AUDITOR = "audit"
"""The auditor's principal: reads every topic without a consumer group (``datapark-audit``)."""

EXAMPLE_TIME = datetime(2026, 5, 4, 9, 30, tzinfo=UTC)
EXAMPLE_TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

HEX64 = "^[0-9a-f]{64}$"
DLQ_REASONS = ("malformed", "unknown_type", "invalid_payload", "handler_failed")


def example_id(seed: str) -> uuid.UUID:
    """A UUIDv7 as the platform mints them, at :data:`EXAMPLE_TIME`, its random bits taken from
    ``seed`` so the document is reproducible."""
    ms = int(EXAMPLE_TIME.timestamp() * 1000)
    digest = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:10], "big")
    value = (ms << 80) | (0x7 << 76) | ((digest >> 68) & 0xFFF) << 64 | (0b10 << 62)
    return uuid.UUID(int=value | (digest & ((1 << 62) - 1)))


def _ident(text: str) -> str:
    """A component or operation key (``^[A-Za-z0-9_.-]+$`` in AsyncAPI 3): dots become ``_``."""
    return re.sub(r"[^A-Za-z0-9_]", "_", text)


def _publishers(topic: Topic) -> list[str]:
    """Who writes a topic: its owner; a platform topic is written by every service's relay."""
    if topic.owner != "platform":
        return [topic.owner]
    return sorted({t.owner for t in TOPICS if t.owner != "platform"})


# --- payload schemas -----------------------------------------------------------------------


def _asyncapi_schema(node: Any, refs: dict[str, str]) -> Any:
    """A pydantic JSON Schema node rewritten for the AsyncAPI Schema Object."""
    if isinstance(node, list):
        return [_asyncapi_schema(n, refs) for n in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "$defs":
            continue
        if key == "$ref" and isinstance(value, str) and value.startswith("#/$defs/"):
            out[key] = f"#/components/schemas/{refs[value.removeprefix('#/$defs/')]}"
        elif key == "discriminator" and isinstance(value, dict):
            # OpenAPI's discriminator object; AsyncAPI's is a property name whose value must be
            # a schema name, which ours (``"fixed"``, ``"metered"``) are not. The branches of
            # the ``oneOf`` carry a ``const`` for the property, so it stays exact without it.
            prop = value.get("propertyName")
            note = f"One of the variants below, told apart by `{prop}`."
            out["description"] = node.get("description", note)
        elif key == "prefixItems":
            out["items"] = _asyncapi_schema(value, refs)
            out["additionalItems"] = False
        elif key in ("properties", "patternProperties"):
            out[key] = {name: _asyncapi_schema(sub, refs) for name, sub in value.items()}
        else:
            out[key] = _asyncapi_schema(value, refs)
    return out


def _payload_schemas(
    events: dict[str, type[EventPayload]],
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """``components/schemas`` (shared definitions and one schema per event type) and, per
    event type, its pydantic schema (for the examples)."""
    raw = {name: model.model_json_schema(mode="serialization") for name, model in events.items()}
    variants: dict[str, set[str]] = {}
    for schema in raw.values():
        for def_name, definition in schema.get("$defs", {}).items():
            variants.setdefault(def_name, set()).add(json.dumps(definition, sort_keys=True))
    components: dict[str, Any] = {}
    for name, schema in raw.items():
        msg_id = _ident(name)
        refs = {
            def_name: def_name if len(variants[def_name]) == 1 else f"{msg_id}__{def_name}"
            for def_name in schema.get("$defs", {})
        }
        for def_name, definition in schema.get("$defs", {}).items():
            components[refs[def_name]] = _asyncapi_schema(definition, refs)
        components[msg_id] = _asyncapi_schema(schema, refs)
    return components, raw


# --- examples ------------------------------------------------------------------------------

_PATTERN_EXAMPLES = {
    r"^\d+\.\d{2}$": "600.00",
    r"^-?\d+\.\d{2}$": "600.00",
    r"^-?\d+(\.\d+)?$": "0.05",
    r"^\d+(\.\d+)?$": "0.0100",
    r"^(0(\.\d+)?|1(\.0+)?)$": "0.5",
    r"^[0-9]{6}$": "310115",
    r"^\d{4}-\d{2}$": "2026-05",
    HEX64: "",
}
_NAMED_STRINGS = {
    "currency": "CNY",
    "uscc": "914403001922038216",
    "source": "/datapark/catalog",
}


def _example_value(schema: dict[str, Any], node: dict[str, Any], path: str) -> Any:
    ref = node.get("$ref")
    if isinstance(ref, str):
        node = schema["$defs"][ref.removeprefix("#/$defs/")]
    if "const" in node:
        return node["const"]
    if "enum" in node:
        return node["enum"][0]
    for union in ("anyOf", "oneOf"):
        if union in node:
            branches = [b for b in node[union] if b.get("type") != "null"]
            return _example_value(schema, branches[0], path)
    kind = node.get("type")
    name = path.rsplit("/", 1)[-1]
    if kind == "object":
        return {
            prop: _example_value(schema, sub, f"{path}/{prop}")
            for prop, sub in node.get("properties", {}).items()
        }
    if kind == "array":
        if "prefixItems" in node:
            return [
                _example_value(schema, sub, f"{path}/{i}")
                for i, sub in enumerate(node["prefixItems"])
            ]
        count = max(1, node.get("minItems", 1))
        item = node.get("items", {})
        return [_example_value(schema, item, f"{path}/{name}_{i + 1}") for i in range(count)]
    if kind == "integer":
        low = node.get("minimum", node.get("exclusiveMinimum", 0) + 1)
        return max(low, min(node.get("maximum", 1), 1))
    if kind == "number":
        return 1
    if kind == "boolean":
        return False
    if kind == "string":
        fmt, pattern = node.get("format"), node.get("pattern")
        if fmt == "uuid":
            return str(example_id(path))
        if fmt == "date-time":
            return "2026-05-04T09:30:00Z"
        if fmt == "date":
            return "2026-05-04"
        if pattern == HEX64:
            return hashlib.sha256(path.encode()).hexdigest()
        if pattern in _PATTERN_EXAMPLES:
            return _PATTERN_EXAMPLES[pattern]
        if name in _NAMED_STRINGS:
            return _NAMED_STRINGS[name]
        return f"example {name}".replace("_", " ")
    return None


def example_payload(name: str, model: type[EventPayload], schema: dict[str, Any]) -> dict[str, Any]:
    """A payload of ``name`` that the model accepts (as JSON): the model's own first example
    (``json_schema_extra={"examples": [...]}``) when it has one, else one built from its schema
    with every property, else with the required ones only."""
    candidates = [*schema.get("examples", ())[:1], _example_value(schema, schema, name)]
    minimal = dict(
        schema,
        properties={
            k: v for k, v in schema.get("properties", {}).items() if k in schema.get("required", ())
        },
    )
    candidates.append(_example_value(schema, minimal, name))
    refusals = []
    for candidate in candidates:
        try:
            return model.model_validate_json(json.dumps(candidate)).to_data()
        except ValueError as exc:
            refusals.append(str(exc))
    raise ValueError(
        f"{name}: no example its model accepts; give the model one with "
        f'json_schema_extra={{"examples": [...]}}. The generated one was refused: {refusals[0]}'
    )


def example_envelope(name: str, model: type[EventPayload], data: dict[str, Any]) -> Envelope:
    """The first event of an aggregate carrying ``data``, sealed as the relay seals it."""
    payload = model.model_validate(data)
    topic = next(t for t in TOPICS if t.name == model.topic)
    return Envelope(
        id=example_id(f"{name}/event"),
        source=f"/datapark/{_publishers(topic)[0]}",
        type=name,
        subject=payload.aggregate_id(),
        time=EXAMPLE_TIME,
        data=data,
        aggseq=1,
        prevhash=GENESIS_HASH,
        traceparent=EXAMPLE_TRACEPARENT,
    ).sealed()


def _header_example(envelope: Envelope) -> dict[str, str]:
    return {key: value.decode() for key, value in envelope.headers()}


# --- headers -------------------------------------------------------------------------------


def cloudevent_headers() -> dict[str, Any]:
    """Every header of an event record: CloudEvents 1.0 binary mode plus the chain."""
    string = {"type": "string"}
    return {
        "type": "object",
        "description": (
            "CloudEvents 1.0 attributes in Kafka binary content mode (`ce_` prefix, UTF-8 "
            "values), the per-aggregate hash chain (`ce_aggseq`, `ce_prevhash`, `ce_eventhash`) "
            "and W3C trace context. `ce_eventhash` = SHA-256 over the canonical JSON (RFC 8785) "
            "of `ce_prevhash`, every other attribute and the payload; see docs/events.md."
        ),
        "required": [
            "ce_specversion",
            "ce_id",
            "ce_source",
            "ce_type",
            "ce_subject",
            "ce_time",
            "ce_dataschema",
            "ce_aggseq",
            "ce_prevhash",
            "ce_eventhash",
            "content-type",
        ],
        "properties": {
            "ce_specversion": {"const": SPECVERSION, "description": "CloudEvents version."},
            "ce_id": {
                **string,
                "format": "uuid",
                "description": "Event id, unique per source; consumers deduplicate on it.",
            },
            "ce_source": {
                **string,
                "pattern": "^/datapark/[a-z]+$",
                "description": "The publishing service, `/datapark/<service>`.",
            },
            "ce_type": {
                **string,
                "pattern": r"^datapark\.[a-z]+\.[a-z_]+\.[a-z_]+\.v[0-9]+$",
                "description": "Versioned event type; selects the payload schema.",
            },
            "ce_subject": {
                **string,
                "description": "The aggregate id; equal to the record key.",
            },
            "ce_time": {
                **string,
                "format": "date-time",
                "description": "When it happened: RFC 3339, UTC, microseconds, `Z`.",
            },
            "ce_dataschema": {
                **string,
                "format": "uri",
                "description": "The payload's JSON Schema (`libs/contracts/schemas/<type>.json`).",
            },
            "ce_aggseq": {
                **string,
                "pattern": "^[1-9][0-9]*$",
                "description": "Position in the aggregate's chain, 1 for its first event.",
            },
            "ce_prevhash": {
                **string,
                "pattern": HEX64,
                "description": "`ce_eventhash` of the aggregate's previous event; 64 zeros first.",
            },
            "ce_eventhash": {
                **string,
                "pattern": HEX64,
                "description": "SHA-256 (hex) chaining this event to `ce_prevhash`.",
            },
            "content-type": {"const": CONTENT_TYPE, "description": "The payload's media type."},
            "traceparent": {
                **string,
                "pattern": "^[0-9a-f]{2}-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$",
                "description": "W3C Trace Context of the request that caused the event.",
            },
            "tracestate": {**string, "description": "W3C Trace Context vendor state."},
        },
    }


def dead_letter_headers() -> dict[str, Any]:
    digits = {"type": "string", "pattern": "^[0-9]+$"}
    return {
        "type": "object",
        "description": (
            "The original record's headers (whatever they were; the record may be malformed) "
            "followed by why and where from it was dead-lettered."
        ),
        "required": [
            "dlq_reason",
            "dlq_error",
            "dlq_consumer_group",
            "dlq_original_topic",
            "dlq_original_partition",
            "dlq_original_offset",
        ],
        "properties": {
            "dlq_reason": {
                "type": "string",
                "enum": list(DLQ_REASONS),
                "description": (
                    "`malformed` (not a datapark CloudEvent: headers, JSON or hash), "
                    "`unknown_type` (no contract), `invalid_payload` (refused by its model), "
                    "`handler_failed` (retries exhausted)."
                ),
            },
            "dlq_error": {"type": "string", "maxLength": 4000, "description": "The error."},
            "dlq_consumer_group": {"type": "string", "description": "The group that gave up."},
            "dlq_original_topic": {"type": "string"},
            "dlq_original_partition": digits,
            "dlq_original_offset": digits,
        },
    }


# --- the document --------------------------------------------------------------------------


def _kafka_channel(topic: Topic) -> dict[str, Any]:
    retention = int(topic.config.get("retention.ms", "-1"))
    return {
        "kafka": {
            "topic": topic.name,
            "partitions": topic.partitions,
            "topicConfiguration": {
                "cleanup.policy": [topic.config.get("cleanup.policy", "delete")],
                "retention.ms": retention,
            },
            "bindingVersion": KAFKA_BINDING,
        }
    }


def _event_message(
    name: str, model: type[EventPayload], data: dict[str, Any], topic: Topic
) -> dict[str, Any]:
    msg_id = _ident(name)
    doc = (model.__doc__ or "").strip()
    summary = doc.splitlines()[0] if doc else name
    sources = [f"/datapark/{p}" for p in _publishers(topic)]
    envelope = example_envelope(name, model, data)
    return {
        "name": name,
        "title": model.__name__,
        "summary": summary,
        "description": doc or summary,
        "contentType": CONTENT_TYPE,
        "tags": [{"name": topic.owner}],
        "headers": {
            "type": "object",
            "allOf": [{"$ref": "#/components/schemas/CloudEventHeaders"}],
            "properties": {
                "ce_type": {"const": name},
                "ce_source": {"type": "string", "enum": sources},
                "ce_dataschema": {"const": dataschema_for(name)},
            },
        },
        "payload": {"$ref": f"#/components/schemas/{msg_id}"},
        "correlationId": {
            "description": "The event id; consumers record it to process each event once.",
            "location": "$message.header#/ce_id",
        },
        "bindings": {
            "kafka": {
                "key": {
                    "type": "string",
                    "description": f"The {model.aggregate} id (= `ce_subject`).",
                },
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "examples": [
            {
                "name": f"{_ident(name)}_example",
                "summary": f"The first {name} of an aggregate (aggseq 1, genesis prevhash).",
                "headers": _header_example(envelope),
                "payload": data,
            }
        ],
    }


def _dead_letter_message(
    group: ConsumerGroup, example_source: Envelope, example_topic: str
) -> dict[str, Any]:
    headers = _header_example(example_source)
    headers.update(
        {
            "dlq_reason": "handler_failed",
            "dlq_error": "RuntimeError: the projection could not be written",
            "dlq_consumer_group": group.group_id,
            "dlq_original_topic": example_topic,
            "dlq_original_partition": "0",
            "dlq_original_offset": "42",
        }
    )
    return {
        "name": f"{group.group_id}.dead_letter",
        "title": f"Dead letter of {group.group_id}",
        "summary": f"A record {group.group_id} could not process, as it was read.",
        "description": (
            "Key, value and headers of the original record, unchanged, plus `dlq_*` headers. "
            "Operators inspect and replay these; they are not events."
        ),
        "contentType": CONTENT_TYPE,
        "tags": [{"name": "platform"}],
        "headers": {
            "type": "object",
            "allOf": [{"$ref": "#/components/schemas/DeadLetterHeaders"}],
            "properties": {
                "dlq_consumer_group": {"const": group.group_id},
                "dlq_original_topic": {"type": "string", "enum": list(group.topics)},
            },
        },
        "payload": {
            "description": "The original record's value, byte for byte (JSON when well formed)."
        },
        "bindings": {
            "kafka": {
                "key": {"type": "string", "description": "The original record's key."},
                "bindingVersion": KAFKA_BINDING,
            }
        },
        "examples": [
            {
                "name": f"{_ident(group.group_id)}_dead_letter_example",
                "summary": "An event whose handler kept failing.",
                "headers": headers,
                "payload": example_source.data,
            }
        ],
    }


def _servers() -> dict[str, Any]:
    return {
        "local": {
            "host": "127.0.0.1:9092",
            "protocol": "kafka",
            "title": "Local development broker",
            "description": "`deploy/local/stack.sh up`: plaintext, no authentication.",
            "tags": [{"name": "env:local"}],
        },
        "localSecure": {
            "host": "127.0.0.1:9094",
            "protocol": "kafka-secure",
            "title": "Local SASL_SSL broker",
            "description": (
                "`deploy/local/stack.sh secure-up`: TLS with the stack's own CA and SCRAM-SHA-512 "
                "users per service, ACLs generated from the topic registry."
            ),
            "security": [{"$ref": "#/components/securitySchemes/scramSha512"}],
            "tags": [{"name": "env:local"}],
        },
        "production": {
            "host": "datapark-kafka-bootstrap:9093",
            "protocol": "kafka-secure",
            "title": "Production cluster (Strimzi)",
            "description": (
                "The in-cluster TLS listener of the Strimzi Kafka (`deploy/k8s`): SASL_SSL with "
                "SCRAM-SHA-512; one KafkaUser per service, allowed exactly the topics and groups "
                "this document lists for it."
            ),
            "security": [{"$ref": "#/components/securitySchemes/scramSha512"}],
            "tags": [{"name": "env:production"}],
        },
    }


def _operation(
    action: str,
    channel_id: str,
    message_ids: list[str],
    summary: str,
    tag: str,
    group: str | None = None,
) -> dict[str, Any]:
    op: dict[str, Any] = {
        "action": action,
        "channel": {"$ref": f"#/channels/{channel_id}"},
        "summary": summary,
        "tags": [{"name": tag}],
        "messages": [{"$ref": f"#/channels/{channel_id}/messages/{m}"} for m in message_ids],
    }
    if group is not None:
        op["bindings"] = {
            "kafka": {
                "groupId": {"type": "string", "enum": [group]},
                "bindingVersion": KAFKA_BINDING,
            }
        }
    return op


def asyncapi_document() -> dict[str, Any]:
    events = all_event_types()
    schemas, raw = _payload_schemas(events)
    schemas["CloudEventHeaders"] = cloudevent_headers()
    schemas["DeadLetterHeaders"] = dead_letter_headers()
    messages: dict[str, Any] = {}
    channels: dict[str, Any] = {}
    operations: dict[str, Any] = {}
    first_envelope: dict[str, Envelope] = {}
    topic_messages: dict[str, list[str]] = {}

    for topic in TOPICS:
        channel_id = _ident(topic.name)
        ids = []
        for name, model in events.items():
            if model.topic != topic.name:
                continue
            data = example_payload(name, model, raw[name])
            messages[_ident(name)] = _event_message(name, model, data, topic)
            first_envelope.setdefault(topic.name, example_envelope(name, model, data))
            ids.append(_ident(name))
        topic_messages[topic.name] = ids
        channels[channel_id] = {
            "address": topic.name,
            "title": topic.name,
            "description": f"{topic.description} Key: {topic.key}. Kept forever.",
            "messages": {m: {"$ref": f"#/components/messages/{m}"} for m in ids},
            "bindings": _kafka_channel(topic),
        }
        for service in _publishers(topic):
            operations[_ident(f"{service}.send.{topic.name}")] = _operation(
                "send",
                channel_id,
                ids,
                f"{service} publishes through its outbox relay; key = {topic.key}.",
                service,
            )

    for group in CONSUMER_GROUPS:
        dlq = dlq_topic(group.group_id)
        channel_id = _ident(dlq.name)
        msg_id = _ident(f"{group.group_id}.dead_letter")
        source_topic = group.topics[0]
        messages[msg_id] = _dead_letter_message(group, first_envelope[source_topic], source_topic)
        channels[channel_id] = {
            "address": dlq.name,
            "title": dlq.name,
            "description": f"{dlq.description} Key: {dlq.key}. Kept forever.",
            "messages": {msg_id: {"$ref": f"#/components/messages/{msg_id}"}},
            "bindings": _kafka_channel(dlq),
        }
        operations[_ident(f"{group.service}.send.{dlq.name}")] = _operation(
            "send",
            channel_id,
            [msg_id],
            f"{group.group_id} dead-letters what it cannot process (after retries).",
            group.service,
        )
        topic_messages[dlq.name] = [msg_id]
        for topic_name in group.topics:
            operations[_ident(f"{group.group_id}.receive.{topic_name}")] = _operation(
                "receive",
                _ident(topic_name),
                topic_messages[topic_name],
                f"Consumer group {group.group_id} ({group.service}) reads {topic_name}; "
                "it processes each event id once and ignores types it does not handle.",
                group.service,
                group=group.group_id,
            )

    for channel_id, channel in channels.items():
        operations[_ident(f"{AUDITOR}.receive.{channel['address']}")] = _operation(
            "receive",
            channel_id,
            list(channel["messages"]),
            f"The auditor (`datapark-audit`) replays {channel['address']} from the start, "
            "without a consumer group, and verifies every chain and checkpoint.",
            AUDITOR,
        )

    services = sorted({*(t.owner for t in TOPICS), *(g.service for g in CONSUMER_GROUPS)})
    tags = [
        {"name": s, "description": f"Published or consumed by {s}."}
        for s in services
        if s != "platform"
    ]
    tags.append({"name": AUDITOR, "description": "The independent auditor (libs/audit)."})
    tags.append({"name": "platform", "description": "Shared topics and dead letters."})
    tags.sort(key=lambda t: t["name"])
    return {
        "asyncapi": ASYNCAPI_VERSION,
        "info": {
            "title": "datapark events",
            "version": DOCUMENT_VERSION,
            "description": (
                "Every event the datapark services publish on Kafka. Records are CloudEvents 1.0 "
                "in binary content mode: the value is the JSON payload, every attribute a `ce_*` "
                "header, the key the aggregate id (so one aggregate stays on one partition, in "
                "order). Each aggregate's events form a SHA-256 hash chain (`ce_aggseq`, "
                "`ce_prevhash`, `ce_eventhash`); relays publish signed checkpoints on "
                "`audit.checkpoints.v1`. Payloads are versioned by type (`.v1`, `.v2`): a "
                "version only ever gains optional fields. Generated from libs/contracts; see "
                "docs/events.md."
            ),
            "tags": tags,
        },
        "defaultContentType": CONTENT_TYPE,
        "servers": _servers(),
        "channels": channels,
        "operations": operations,
        "components": {
            "schemas": dict(sorted(schemas.items())),
            "messages": dict(sorted(messages.items())),
            "securitySchemes": {
                "scramSha512": {
                    "type": "scramSha512",
                    "description": (
                        "SASL/SCRAM-SHA-512 over TLS (SASL_SSL); the user name is the service "
                        "name, the password its KafkaUser secret."
                    ),
                }
            },
        },
    }
