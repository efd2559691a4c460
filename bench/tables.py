"""Markdown pieces for the report: reading a result's JSON, formatting numbers, tables."""

from __future__ import annotations

from bench.harness import Figures


def family(result: Figures) -> str:
    return str(result["name"]).split("[", 1)[0]


def section(result: Figures, key: str) -> Figures:
    value = result.get(key)
    return value if isinstance(value, dict) else {}


def num(figures: Figures, key: str) -> float:
    value = figures.get(key)
    return float(value) if isinstance(value, int | float) else float("nan")


def fmt(value: object) -> str:
    if isinstance(value, bool) or value is None:
        return {True: "yes", False: "**no**", None: "n/a"}[value]
    if isinstance(value, float):
        return f"{value:,.3g}" if abs(value) < 100 else f"{value:,.0f}"
    return str(value)


def table(header: list[str], rows: list[list[object]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(fmt(cell) for cell in row) + " |" for row in rows]
    return [*lines, ""]


def load(result: Figures) -> str:
    loads = section(result, "load_avg")
    start, end = loads.get("start"), loads.get("end")
    if isinstance(start, list) and isinstance(end, list):
        return f"{start[0]:.1f} → {end[0]:.1f}"
    return "n/a"


def commands(results: list[Figures]) -> list[str]:
    unique = dict.fromkeys(str(result.get("command")) for result in results)
    return ["```", *unique, "```", ""]
