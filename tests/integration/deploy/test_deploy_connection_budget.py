"""The API's worker processes in every overlay (issue #14) and the Postgres connection budget
they must fit (deploy/k8s/README.md, "Connections").

Rendered with kustomize, as deployed: each service's API container runs one process per core
of its CPU limit (``DATAPARK_<SVC>_WEB_WORKERS`` read from ``limits.cpu``), keeps its metrics in
``PROMETHEUS_MULTIPROC_DIR`` on an emptyDir of its own, and at the most replicas the autoscalers
allow, plus the rollout's surge and the migration Job, every service stays within its role's
``connectionLimit`` and all of them within the cluster's ``max_connections``."""

from __future__ import annotations

import math
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[3]
K8S = ROOT / "deploy" / "k8s"
TOOLS = ROOT / ".local" / "k8s-tools"
OVERLAYS = sorted(p.name for p in (K8S / "overlays").iterdir() if p.is_dir())
SERVICES = ("catalog", "trading", "rental", "subsidy")
SUPERUSER_RESERVED = 3  # PostgreSQL's default superuser_reserved_connections


@pytest.fixture(scope="module")
def kustomize() -> Path:
    subprocess.run(["bash", str(K8S / "validate" / "setup.sh")], check=True, timeout=900, cwd=ROOT)
    return TOOLS / "bin" / "kustomize"


def _render(kustomize: Path, overlay: str) -> list[dict[str, Any]]:
    built = subprocess.run(
        [str(kustomize), "build", str(K8S / "overlays" / overlay)],
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return [d for d in yaml.safe_load_all(built.stdout) if d]


def _cores(quantity: str) -> int:
    """A CPU quantity as the downward API gives it with divisor 1: whole cores, rounded up."""
    if quantity.endswith("m"):
        return math.ceil(int(quantity[:-1]) / 1000)
    return math.ceil(float(quantity))


@dataclass(frozen=True)
class _Service:
    api_pods: int  # the HPA's maximum plus the rollout's surge
    processes: int  # per API pod
    worker_pods: int  # KEDA's maximum (or the fixed replicas) plus the surge
    pool: int

    @property
    def connections(self) -> int:
        api = self.api_pods * self.processes * 2 * self.pool  # pool + equal overflow each
        workers = self.worker_pods * (2 * self.pool + 1)  # + the relay's lock connection
        return api + workers + 1  # + the migration Job


def _service(objects: list[dict[str, Any]], name: str, default_pool: int) -> _Service:
    def one(kind: str, object_name: str) -> dict[str, Any]:
        return next(
            o for o in objects if o["kind"] == kind and o["metadata"]["name"] == object_name
        )

    api = one("Deployment", name)
    container = next(c for c in api["spec"]["template"]["spec"]["containers"] if c["name"] == "api")
    env = {e["name"]: e for e in container["env"]}
    field = env[f"DATAPARK_{name.upper()}_WEB_WORKERS"]["valueFrom"]["resourceFieldRef"]
    assert field == {"containerName": "api", "resource": "limits.cpu", "divisor": "1"}
    processes = _cores(str(container["resources"]["limits"]["cpu"]))

    metrics_dir = env["PROMETHEUS_MULTIPROC_DIR"]["value"]
    mount = next(m for m in container["volumeMounts"] if m["mountPath"] == metrics_dir)
    volumes = {v["name"]: v for v in api["spec"]["template"]["spec"]["volumes"]}
    assert "emptyDir" in volumes[mount["name"]], "the metric files live on an emptyDir"
    others = [m for m in container["volumeMounts"] if m["name"] == mount["name"]]
    assert others == [mount], "a directory of its own: the service empties it at every start"

    pool_override = env.get(f"DATAPARK_{name.upper()}_DATABASE_POOL_SIZE", {}).get("value")
    pool = int(pool_override) if pool_override else default_pool
    surge = int(api["spec"]["strategy"]["rollingUpdate"]["maxSurge"])
    hpa = one("HorizontalPodAutoscaler", name)
    worker = one("Deployment", f"{name}-worker")
    scaled = [
        o
        for o in objects
        if o["kind"] == "ScaledObject" and o["spec"]["scaleTargetRef"]["name"] == f"{name}-worker"
    ]
    most_workers = scaled[0]["spec"]["maxReplicaCount"] if scaled else worker["spec"]["replicas"]
    worker_surge = int(worker["spec"]["strategy"]["rollingUpdate"]["maxSurge"])
    return _Service(
        api_pods=hpa["spec"]["maxReplicas"] + surge,
        processes=processes,
        worker_pods=most_workers + worker_surge,
        pool=pool,
    )


@pytest.mark.parametrize("overlay", OVERLAYS)
def test_api_processes_follow_the_cpu_limit_and_the_connections_fit_postgres(
    kustomize: Path, overlay: str
) -> None:
    objects = _render(kustomize, overlay)
    config = next(
        o
        for o in objects
        if o["kind"] == "ConfigMap" and o["metadata"]["name"].startswith("datapark-config")
    )
    cluster = next(o for o in objects if o["kind"] == "Cluster")
    parameters = cluster["spec"]["postgresql"]["parameters"]
    max_connections = int(parameters["max_connections"])
    reserved = int(parameters.get("superuser_reserved_connections", SUPERUSER_RESERVED))
    role_limits = {r["name"]: r["connectionLimit"] for r in cluster["spec"]["managed"]["roles"]}

    budget = {
        name: _service(objects, name, int(config["data"]["DATABASE_POOL_SIZE"]))
        for name in SERVICES
    }

    print(f"{overlay}: " + ", ".join(f"{n} {s.connections}" for n, s in budget.items()))
    assert all(s.processes >= 1 for s in budget.values())
    for name, service in budget.items():
        assert service.connections <= role_limits[name], (overlay, name, service)
    total = sum(s.connections for s in budget.values())
    assert total <= max_connections - reserved, (overlay, total, max_connections)


def test_production_runs_an_api_process_per_core(kustomize: Path) -> None:
    objects = _render(kustomize, "production")
    for name in SERVICES:
        api = next(
            o for o in objects if o["kind"] == "Deployment" and o["metadata"]["name"] == name
        )
        limit = api["spec"]["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"]
        assert _cores(str(limit)) >= 2, "production's API pods run several processes"


@pytest.mark.parametrize(
    ("quantity", "cores"), [("2", 2), ("500m", 1), ("1500m", 2), ("1.5", 2), ("1", 1)]
)
def test_cpu_quantities_round_up_to_whole_cores_as_the_downward_api_does(
    quantity: str, cores: int
) -> None:
    assert _cores(quantity) == cores
