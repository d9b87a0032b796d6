"""Who may do what on Kafka, derived from the topic registry.

A service writes only the topics it owns, the dead-letter topics of its consumer groups and the
platform's shared topics (the relays' audit checkpoints), reads only the topics its consumer
groups consume, uses only its own groups and its relay's transactional id (``<service>-relay``,
the fence that keeps the log exactly once: ``datapark_eventing.relay``). The ``audit``
principal (``datapark-audit``, replay without a group) reads every topic and writes none. The
Strimzi ``KafkaUser`` manifests (``deploy/k8s``) and the ACLs of the local SASL_SSL broker
(``deploy/local/stack.sh secure-up``) are both generated from :func:`service_access`, so the
registry is the one source of truth.

``python -m datapark_eventing.access acl-args`` prints, one line per grant, the arguments of
Kafka's ``AclCommand`` (used by the stack script); ``users`` prints the service names.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from datapark_contracts.topics import CONSUMER_GROUPS, TOPICS, all_topics

AUDITOR = "audit"


def relay_transactional_id(service: str, prefix: str = "") -> str:
    """The transactional id of ``service``'s outbox relay (one per outbox: a new leader's
    producer fences the old one's). ``prefix`` is the deployment's consumer-group prefix."""
    return f"{prefix}{service}-relay"


@dataclass(frozen=True)
class ServiceAccess:
    service: str
    writes: tuple[str, ...]
    reads: tuple[str, ...]
    groups: tuple[str, ...]
    transactional_ids: tuple[str, ...] = ()


def services() -> tuple[str, ...]:
    """Every service that owns a topic or consumes one."""
    names = {t.owner for t in TOPICS if t.owner != "platform"}
    names.update(g.service for g in CONSUMER_GROUPS)
    return tuple(sorted(names))


def principals() -> tuple[str, ...]:
    """The platform's Kafka users: the services and the auditor."""
    return (*services(), AUDITOR)


def service_access() -> tuple[ServiceAccess, ...]:
    """Per principal, what it may write, read and join (services first, then the auditor)."""
    shared = {t.name for t in TOPICS if t.owner == "platform"}
    result = []
    for service in services():
        groups = [g for g in CONSUMER_GROUPS if g.service == service]
        owned = {t.name for t in TOPICS if t.owner == service}
        writes = sorted(owned | shared | {g.dlq for g in groups})
        reads = sorted({topic for g in groups for topic in g.topics})
        result.append(
            ServiceAccess(
                service=service,
                writes=tuple(writes),
                reads=tuple(reads),
                groups=tuple(sorted(g.group_id for g in groups)),
                transactional_ids=(relay_transactional_id(service),),
            )
        )
    everything = tuple(sorted(t.name for t in all_topics()))
    result.append(ServiceAccess(service=AUDITOR, writes=(), reads=everything, groups=()))
    return tuple(result)


def acl_command_args() -> list[list[str]]:
    """``AclCommand`` argument lists granting exactly :func:`service_access`."""
    lines: list[list[str]] = []
    for access in service_access():
        principal = ["--allow-principal", f"User:{access.service}"]
        if access.writes:
            topics = [arg for topic in access.writes for arg in ("--topic", topic)]
            lines.append([*principal, "--operation", "Write", "--operation", "Describe", *topics])
        if access.reads:
            topics = [arg for topic in access.reads for arg in ("--topic", topic)]
            lines.append([*principal, "--operation", "Read", "--operation", "Describe", *topics])
        if access.groups:
            groups = [arg for group in access.groups for arg in ("--group", group)]
            lines.append([*principal, "--operation", "Read", *groups])
        for transactional_id in access.transactional_ids:
            lines.append(
                [
                    *principal,
                    "--operation",
                    "Write",
                    "--operation",
                    "Describe",
                    "--transactional-id",
                    transactional_id,
                ]
            )
    return lines


def main(argv: list[str]) -> int:
    if argv == ["acl-args"]:
        for args in acl_command_args():
            print(" ".join(args))
        return 0
    if argv == ["users"]:
        print(" ".join(principals()))
        return 0
    print("usage: python -m datapark_eventing.access acl-args|users", file=sys.stderr)
    return 2


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
