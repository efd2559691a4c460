"""Grafana's provisioning finds the dashboard, and the dashboard finds the data source and jobs."""

import re
from typing import Any

from tests.deploy.files import (
    DASHBOARD_PROVIDERS,
    DATASOURCES,
    compose,
    dashboards,
    load_yaml,
    panel_queries,
    panels,
    prometheus_config,
)


def provisioned_datasources() -> list[dict[str, Any]]:
    return [
        source
        for path in sorted(DATASOURCES.glob("*.yml"))
        for source in load_yaml(path)["datasources"]
    ]


def test_every_panel_uses_the_provisioned_prometheus_data_source() -> None:
    [source] = provisioned_datasources()
    assert source["type"] == "prometheus"
    expected = {"type": "prometheus", "uid": source["uid"]}
    for dashboard in dashboards():
        for panel in panels(dashboard):
            if panel["type"] == "row":
                continue
            assert panel["datasource"] == expected, panel["title"]
            for target in panel["targets"]:
                assert target["datasource"] == expected, f"{panel['title']} {target['refId']}"


def test_data_source_is_the_compose_prometheus_at_its_scrape_interval() -> None:
    [source] = provisioned_datasources()
    assert source["url"] == "http://prometheus:9090"
    assert "prometheus" in compose()["services"]
    # $__rate_interval is only safe when Grafana knows the real scrape interval.
    scrape_interval = prometheus_config()["global"]["scrape_interval"]
    assert source["jsonData"]["timeInterval"] == scrape_interval


def test_dashboard_provider_reads_the_directory_compose_mounts() -> None:
    [provider_file] = sorted(DASHBOARD_PROVIDERS.glob("*.yml"))
    [provider] = load_yaml(provider_file)["providers"]
    mounted = {
        volume.split(":")[1]
        for volume in compose()["services"]["grafana"]["volumes"]
        if volume.startswith("./deploy/grafana/dashboards:")
    }
    assert mounted == {provider["options"]["path"]}


def test_dashboards_name_only_jobs_prometheus_scrapes() -> None:
    jobs = {job["job_name"] for job in prometheus_config()["scrape_configs"]}
    named = set()
    for query in panel_queries():
        for matcher in re.findall(r'job=~?"([^"]*)"', query.expr):
            named.update(matcher.split("|"))
    assert named
    assert named <= jobs


def test_dashboards_have_stable_unique_uids_and_panel_ids() -> None:
    uids = [dashboard["uid"] for dashboard in dashboards()]
    assert len(set(uids)) == len(uids) > 0
    for dashboard in dashboards():
        ids = [panel["id"] for panel in panels(dashboard)]
        assert len(set(ids)) == len(ids), dashboard["title"]
