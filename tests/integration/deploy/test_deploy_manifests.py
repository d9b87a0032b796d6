"""Offline validation of deploy/k8s: every overlay renders with kustomize and every object
validates strictly — Kubernetes kinds and the KEDA/prometheus-operator CRDs with kubeconform
against JSON Schemas converted from the packages' own specs, Strimzi and CloudNativePG objects
with the models generated from their CRDs (values and unknown fields). The tools come from
package registries through deploy/k8s/validate/setup.sh (``make test`` runs it first).

The registry-derived manifests must equal what deploy/k8s/generate.py makes of the registry."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from datapark_contracts.topics import CONSUMER_GROUPS, all_topics
from datapark_eventing.access import service_access

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
TOOLS = ROOT / ".local" / "k8s-tools"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
OPERATOR_GROUPS = ("kafka.strimzi.io", "postgresql.cnpg.io")
SCHEMAS = (
    str(TOOLS / "schemas") + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
)


@pytest.fixture(scope="module")
def tools() -> Path:
    subprocess.run(["bash", str(K8S / "validate" / "setup.sh")], check=True, timeout=900, cwd=ROOT)
    return TOOLS


def _render(tools: Path, directory: Path) -> list[dict[str, Any]]:
    built = subprocess.run(
        [str(tools / "bin" / "kustomize"), "build", str(directory)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return [d for d in yaml.safe_load_all(built.stdout) if d]


def _validate(tools: Path, objects: list[dict[str, Any]], tmp_path: Path) -> list[str]:
    """Problems found (empty: every object is valid)."""
    operator = [o for o in objects if o["apiVersion"].split("/")[0] in OPERATOR_GROUPS]
    core = [o for o in objects if o not in operator]
    problems = []
    manifest = tmp_path / "objects.yaml"
    manifest.write_text(yaml.safe_dump_all(core))
    conform = subprocess.run(
        [
            str(tools / "bin" / "kubeconform"),
            "-strict",
            "-summary",
            "-output",
            "text",
            "-schema-location",
            SCHEMAS,
            str(manifest),
        ],
        capture_output=True,
        text=True,
        timeout=300,
    )
    if conform.returncode != 0:
        problems.append(conform.stdout + conform.stderr)
    models = tmp_path / "operator.json"
    models.write_text(json.dumps(operator))
    node = subprocess.run(
        ["node", str(K8S / "validate" / "operator_models.mjs"), str(models)],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "DATAPARK_K8S_TOOLS": str(tools)},
    )
    if node.returncode != 0:
        problems.append(node.stdout + node.stderr)
    return problems


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_every_overlay_renders_and_every_object_validates_strictly(
    tools: Path, overlay: str, tmp_path: Path
) -> None:
    objects = _render(tools, K8S / "overlays" / overlay)
    kinds = {o["kind"] for o in objects}
    assert {"Kafka", "KafkaNodePool", "KafkaTopic", "KafkaUser", "Cluster"} <= kinds
    assert {"ScaledObject", "ServiceMonitor", "PrometheusRule", "HorizontalPodAutoscaler"} <= kinds
    assert _validate(tools, objects, tmp_path) == []


def test_the_create_topics_component_renders_without_strimzi(tools: Path, tmp_path: Path) -> None:
    here = Path(os.path.relpath(K8S, tmp_path))
    (tmp_path / "kustomization.yaml").write_text(
        yaml.safe_dump(
            {
                "apiVersion": "kustomize.config.k8s.io/v1beta1",
                "kind": "Kustomization",
                "resources": [str(here / "overlays" / "production")],
                "components": [str(here / "components" / "create-topics")],
            }
        )
    )
    objects = _render(tools, tmp_path)
    assert not [o for o in objects if o["apiVersion"].startswith("kafka.strimzi.io/")]
    assert any(o["kind"] == "Job" and o["metadata"]["name"] == "create-topics" for o in objects)
    assert _validate(tools, objects, tmp_path) == []


@pytest.fixture(scope="module")
def production(tools: Path) -> list[dict[str, Any]]:
    return _render(tools, K8S / "overlays" / "production")


# (kind, field planted, where): each object gets one mistake the API server would not report
# (an unknown or misplaced field is dropped silently) or would refuse (a wrong value); the
# field names are distinct, so each must be named by the validators' output (the unchanged
# objects validate: the overlay test)
PLANTS: list[tuple[str, str, Any]] = [
    ("Deployment", "strategy", lambda o: o["spec"]["template"]["spec"].update(strategy={})),
    ("ScaledObject", "maxReplicas", lambda o: o["spec"].update(maxReplicas=3)),
    ("PrometheusRule", "alerts", lambda o: o["spec"]["groups"][0].update(alerts=[])),
    ("HorizontalPodAutoscaler", "minReplica", lambda o: o["spec"].update(minReplica=1)),
    ("KafkaTopic", "retention", lambda o: o["spec"].update(retention=-1)),
    ("Cluster", "replicas", lambda o: o["spec"].update(replicas=3)),
    ("KafkaNodePool", "brokerRole", lambda o: o["spec"].update(brokerRole="broker")),
    (
        "KafkaUser",
        "scram-sha-1024",
        lambda o: o["spec"]["authentication"].update(type="scram-sha-1024"),
    ),
]


def test_validation_refuses_unknown_fields_and_wrong_values(
    tools: Path, production: list[dict[str, Any]], tmp_path: Path
) -> None:
    planted = []
    for kind, _, plant in PLANTS:
        found = next(o for o in production if o["kind"] == kind)
        changed = json.loads(json.dumps(found))
        plant(changed)
        planted.append(changed)
    problems = "\n".join(_validate(tools, planted, tmp_path))  # one run of each validator
    for kind, field, _ in PLANTS:
        assert field in problems, (kind, field, problems)


def test_generated_manifests_equal_what_the_registry_makes() -> None:
    check = subprocess.run(
        [sys.executable, str(K8S / "generate.py"), "--check"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert check.returncode == 0, check.stderr


def _generated(name: str) -> list[dict[str, Any]]:
    return [d for d in yaml.safe_load_all((K8S / "base" / "generated" / name).read_text()) if d]


def test_kafka_topics_are_the_registry_with_production_replication() -> None:
    topics = {t["spec"]["topicName"]: t["spec"] for t in _generated("kafka-topics.yaml")}
    assert set(topics) == {t.name for t in all_topics()}
    for topic in all_topics():
        spec = topics[topic.name]
        assert spec["partitions"] == topic.partitions
        assert spec["replicas"] == 3
        assert spec["config"]["retention.ms"] == "-1"
        assert spec["config"]["min.insync.replicas"] == "2"


def test_staging_has_one_replica_per_topic(tools: Path) -> None:
    objects = _render(tools, K8S / "overlays" / "staging")
    topics = [o for o in objects if o["kind"] == "KafkaTopic"]
    assert topics
    assert {
        (t["spec"]["replicas"], t["spec"]["config"]["min.insync.replicas"]) for t in topics
    } == {(1, "1")}
    pool = next(o for o in objects if o["kind"] == "KafkaNodePool")
    assert pool["spec"]["replicas"] == 1


def test_kafka_users_carry_exactly_the_registry_access() -> None:
    users = {u["metadata"]["name"]: u["spec"] for u in _generated("kafka-users.yaml")}
    for access in service_access():
        acls = users[access.service]["authorization"]["acls"]
        granted = {
            (a["resource"]["type"], a["resource"]["name"], op)
            for a in acls
            for op in a["operations"]
        }
        wanted = (
            {("topic", t, op) for t in access.writes for op in ("Write", "Describe")}
            | {("topic", t, op) for t in access.reads for op in ("Read", "Describe")}
            | {("group", g, "Read") for g in access.groups}
            | {
                ("transactionalId", t, op)
                for t in access.transactional_ids
                for op in ("Write", "Describe")
            }
        )
        assert granted == wanted, access.service
        assert users[access.service]["authentication"]["type"] == "scram-sha-512"


def test_api_and_worker_split_and_workers_scale_to_the_partitions_they_consume(
    production: list[dict[str, Any]],
) -> None:
    objects = production
    deployments = {o["metadata"]["name"]: o for o in objects if o["kind"] == "Deployment"}
    partitions = {t.name: t.partitions for t in all_topics()}
    for service in ("catalog", "trading", "rental", "subsidy"):
        api = deployments[service]["spec"]["template"]["spec"]["containers"][0]
        worker = deployments[f"{service}-worker"]["spec"]["template"]["spec"]["containers"][0]
        env = {e["name"]: e.get("value") for e in api["env"]}
        assert env[f"DATAPARK_{service.upper()}_RUN_WORKERS"] == "false"
        assert api["command"] == ["python", "-m", f"datapark_{service}"]
        worker_env = {e["name"]: e.get("value") for e in worker["env"]}
        assert worker_env[f"DATAPARK_{service.upper()}_RUN_WORKERS"] == "true"
        assert worker["command"] == ["python", "-m", "datapark_eventing.worker", service]
    scaled = {
        o["spec"]["scaleTargetRef"]["name"]: o for o in objects if o["kind"] == "ScaledObject"
    }
    for group in CONSUMER_GROUPS:
        spec = scaled[f"{group.service}-worker"]["spec"]
        assert spec["maxReplicaCount"] == sum(partitions[t] for t in group.topics)
        assert spec["triggers"][0]["metadata"]["consumerGroup"] == group.group_id
    jobs = [o for o in objects if o["kind"] == "Job"]
    assert jobs
    assert all(j["spec"]["ttlSecondsAfterFinished"] > 0 for j in jobs)


def test_the_image_installs_the_locked_dependencies_in_a_layer_of_their_own() -> None:
    lines = (K8S / "image" / "Containerfile").read_text().splitlines()
    deps = next(i for i, line in enumerate(lines) if "--no-install-workspace" in line)
    sources = next(i for i, line in enumerate(lines) if line.startswith("COPY libs"))
    lock = next(i for i, line in enumerate(lines) if line.startswith("COPY pyproject.toml uv.lock"))
    assert lock < deps < sources
    assert "--frozen" in lines[deps]
