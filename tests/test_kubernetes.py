"""The Kubernetes manifests (deploy/k8s: a base and kustomize overlays) are valid against the Kubernetes API
schemas, offline (kubernetes-validate ships them), and say what an operator relies on: N serve replicas behind
a Service, a worker, migrations before start, probes, resources, secrets by reference only, a
PodDisruptionBudget, Socket Mode as an option."""
from __future__ import annotations

import shutil
import subprocess

import pytest
import yaml

from tests.support.proc import ROOT

K8S = ROOT / "deploy" / "k8s"
VERSION = "1.32"
SECRET_SETTINGS = {"DATABASE_URL", "SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN",
                   "MICROSOFT_APP_PASSWORD", "POSTGRES_PASSWORD"}


def validate(docs: list[dict]) -> None:
    import kubernetes_validate

    for doc in docs:
        kubernetes_validate.validate(doc, VERSION, strict=True)


def base_docs() -> list[dict]:
    docs = []
    for path in sorted((K8S / "base").glob("*.yaml")):
        if path.name == "kustomization.yaml":
            continue
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d)
    return docs


def render(overlay: str) -> list[dict]:
    kubectl = shutil.which("kubectl")
    if kubectl is None:
        pytest.skip("kubectl is not installed (it renders the kustomize overlays; the base is validated anyway)")
    r = subprocess.run([kubectl, "kustomize", str(K8S / "overlays" / overlay)], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode == 0, r.stderr
    return [d for d in yaml.safe_load_all(r.stdout) if d]


def by_kind(docs, kind, name=None):
    found = [d for d in docs if d["kind"] == kind and (name is None or d["metadata"]["name"] == name)]
    assert found, f"no {kind} {name or ''}"
    return found[0]


def test_base_manifests_are_valid():
    docs = base_docs()
    validate(docs)
    assert {d["kind"] for d in docs} == {"ConfigMap", "Deployment", "Service", "PodDisruptionBudget"}


def test_an_invalid_manifest_is_caught():
    import kubernetes_validate

    bad = by_kind(base_docs(), "Deployment", "aiom-serve")
    bad = yaml.safe_load(yaml.safe_dump(bad))
    bad["spec"]["template"]["spec"]["containers"][0]["livenessProbe"]["httpGet"]["paht"] = "/livez"
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, VERSION, strict=True)


@pytest.mark.parametrize("overlay", ["production", "socket-mode"])
def test_overlays_render_to_valid_manifests(overlay):
    validate(render(overlay))


def test_production_runs_three_serve_replicas_two_workers_and_keeps_two_up():
    docs = render("production")
    serve, worker = by_kind(docs, "Deployment", "aiom-serve"), by_kind(docs, "Deployment", "aiom-worker")
    assert serve["spec"]["replicas"] == 3 and worker["spec"]["replicas"] == 2
    assert by_kind(docs, "PodDisruptionBudget")["spec"]["minAvailable"] == 2
    service = by_kind(docs, "Service")
    assert service["spec"]["selector"] == serve["spec"]["template"]["metadata"]["labels"]
    for dep, port in ((serve, "http"), (worker, "probes")):
        pod = dep["spec"]["template"]["spec"]
        (main,) = pod["containers"]
        assert main["livenessProbe"]["httpGet"] == {"path": "/livez", "port": port}
        assert main["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": port}
        assert main["resources"]["requests"]["memory"] and main["resources"]["limits"]["memory"]
        assert pod["initContainers"][0]["args"] == ["db", "upgrade"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        assert main["image"] == "registry.example.com/aiom:0.1.0"


def test_secrets_are_only_referenced():
    for overlay in ("production", "socket-mode"):
        docs = render(overlay)
        assert not [d for d in docs if d["kind"] == "Secret"]
        config = by_kind(docs, "ConfigMap")
        assert not SECRET_SETTINGS & set(config["data"])
        for dep in (d for d in docs if d["kind"] == "Deployment"):
            for c in dep["spec"]["template"]["spec"]["containers"]:
                assert {"secretRef": {"name": "aiom-secrets"}} in c["envFrom"]
                assert all("value" not in e for e in c.get("env", []) if e["name"] in SECRET_SETTINGS)


def test_socket_mode_gives_serve_the_app_token_from_the_secret():
    serve = by_kind(render("socket-mode"), "Deployment", "aiom-serve")
    env = serve["spec"]["template"]["spec"]["containers"][0]["env"]
    assert {"name": "SLACK_APP_TOKEN",
            "valueFrom": {"secretKeyRef": {"name": "aiom-secrets", "key": "SLACK_APP_TOKEN"}}} in env
