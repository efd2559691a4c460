"""The deployment files, and the PromQL they hold."""

import json
import re
import shutil
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

from tests.conftest import REPO

DEPLOY = REPO / "deploy"
COMPOSE_FILE = REPO / "docker-compose.yml"
DOCKERFILE = REPO / "Dockerfile"
PROMETHEUS_CONFIG = DEPLOY / "prometheus" / "prometheus.yml"
ALERTS = DEPLOY / "prometheus" / "alerts.yml"
ALERT_TESTS = DEPLOY / "prometheus" / "alerts_test.yml"
GRAFANA = DEPLOY / "grafana"
DASHBOARDS = GRAFANA / "dashboards"
DATASOURCES = GRAFANA / "provisioning" / "datasources"
DASHBOARD_PROVIDERS = GRAFANA / "provisioning" / "dashboards"

# Grafana fills these in before a query reaches Prometheus; these values suit the live tests,
# which scrape every second.
GRAFANA_VARIABLES = {"$__rate_interval": "30s"}


def load_yaml(path: Path) -> Any:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@cache
def compose() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(COMPOSE_FILE)
    return loaded


@cache
def prometheus_config() -> dict[str, Any]:
    loaded: dict[str, Any] = load_yaml(PROMETHEUS_CONFIG)
    return loaded


def dashboards() -> list[dict[str, Any]]:
    return [
        json.loads(path.read_text(encoding="utf-8")) for path in sorted(DASHBOARDS.glob("*.json"))
    ]


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, including those nested in collapsed rows."""
    found = []
    for panel in dashboard["panels"]:
        found.append(panel)
        found.extend(panel.get("panels", []))
    return found


@dataclass(frozen=True)
class Query:
    where: str
    expr: str


def panel_queries() -> list[Query]:
    """Every panel query of every dashboard, Grafana's variables filled in."""
    queries = []
    for dashboard in dashboards():
        for panel in panels(dashboard):
            for target in panel.get("targets", []):
                where = f"{dashboard['title']} / {panel['title']} / {target['refId']}"
                queries.append(Query(where, grafana_to_promql(target["expr"], where)))
    return queries


def grafana_to_promql(expr: str, where: str) -> str:
    for variable, value in GRAFANA_VARIABLES.items():
        expr = expr.replace(variable, value)
    if "$" in expr:
        pytest.fail(f"{where}: a Grafana variable without a test value in: {expr}")
    return expr


@dataclass(frozen=True)
class AlertRule:
    name: str
    expr: str
    labels: dict[str, str]


def alert_rules() -> list[AlertRule]:
    return [
        AlertRule(rule["alert"], rule["expr"], rule.get("labels", {}))
        for group in load_yaml(ALERTS)["groups"]
        for rule in group["rules"]
        if "alert" in rule
    ]


def metric_names(expr: str) -> set[str]:
    """The newswire series names (as exported, e.g. `..._bucket`) an expression reads."""
    return set(re.findall(r"\bnewswire_[a-z0-9_]+", expr))


def required_tool(name: str) -> str:
    """The path of a tool the tests need; a missing one fails the test instead of skipping it."""
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed: run scripts/ci-system-deps.sh")
    return path
