"""Figures beside their baselines, as ratios, with the issue's goals; JSON and markdown."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["ratio_at_least", "ratio_at_most", "value_at_most"]


@dataclass(frozen=True, slots=True)
class Goal:
    direction: Direction
    target: float
    text: str  # as the issue states it

    def met(self, value: float, ratio: float | None) -> bool | None:
        if self.direction == "value_at_most":
            return value <= self.target
        if ratio is None:
            return None
        if self.direction == "ratio_at_least":
            return ratio >= self.target
        return ratio <= self.target


@dataclass(frozen=True, slots=True)
class Figure:
    case: str
    name: str
    value: float
    unit: str
    baseline_name: str | None = None
    baseline: float | None = None
    goal: Goal | None = None
    note: str = ""

    @property
    def ratio(self) -> float | None:
        if self.baseline is None or self.baseline == 0:
            return None
        return self.value / self.baseline

    @property
    def verdict(self) -> str:
        if self.goal is None:
            return "reported"
        met = self.goal.met(self.value, self.ratio)
        return "n/a" if met is None else ("met" if met else "MISSED")

    def as_json(self) -> dict[str, Any]:
        ratio = self.ratio
        return {
            "case": self.case,
            "name": self.name,
            "value": round(self.value, 3),
            "unit": self.unit,
            "baseline_name": self.baseline_name,
            "baseline": None if self.baseline is None else round(self.baseline, 3),
            "ratio": None if ratio is None else round(ratio, 3),
            "goal": None if self.goal is None else self.goal.text,
            "verdict": self.verdict,
            "note": self.note,
        }


def _number(value: float | None, unit: str = "") -> str:
    if value is None:
        return "-"
    if abs(value) >= 100:
        text = f"{value:,.0f}"
    elif abs(value) >= 10:
        text = f"{value:.1f}"
    else:
        text = f"{value:.2f}"
    return f"{text} {unit}".strip()


def _ratio(value: float | None) -> str:
    """Three decimals below 10, so 1.503 never reads as a met 1.50."""
    if value is None:
        return "-"
    return f"{value:.3f}" if abs(value) < 10 else f"{value:.1f}"


def figure_line(figure: dict[str, Any]) -> str:
    """One figure as a line of console output."""
    baseline = (
        f" vs {figure['baseline_name']} {_number(figure['baseline'], figure['unit'])}"
        f" -> ratio {_ratio(figure['ratio'])}"
        if figure["baseline_name"]
        else ""
    )
    goal = f"; goal {figure['goal']}: {figure['verdict']}" if figure["goal"] else ""
    return f"  ({figure['case']}) {figure['name']}: {_number(figure['value'], figure['unit'])}" + (
        baseline + goal
    )


def markdown(result: dict[str, Any]) -> str:
    """The results table, and where and on what they were measured."""
    machine = result["machine"]
    dataset = result["dataset"]
    lines = [
        f"# callrec benchmark: {result['backend']}, {result['mode']} mode, {result['date']}",
        "",
        f"Machine: {machine['cpus']} x {machine['cpu_model']}, {machine['memory_gib']} GiB, "
        f"{machine['platform']}, Python {machine['python']}. Load generator (wrk, 1 thread, "
        f"{result['settings']['connections']} connections) on the same machine, loopback only.",
        "",
        f"Dataset: {dataset['calls']:,} calls over {dataset['days']} days in "
        f"{dataset['workspaces']} workspaces (biggest: {dataset['biggest_calls']:,}); loaded "
        f"through the ingest pipeline in {dataset['load_seconds']:,.0f} s "
        f"({dataset['load_rows_per_second']:,} rows/s).",
        "",
        "| case | figure | measured | baseline | ratio | goal | verdict |",
        "|---|---|---:|---:|---:|---|---|",
    ]
    for f in result["figures"]:
        baseline = (
            f"{_number(f['baseline'], f['unit'])} ({f['baseline_name']})"
            if f["baseline_name"]
            else "-"
        )
        lines.append(
            f"| {f['case']} | {f['name']} | {_number(f['value'], f['unit'])} | {baseline} | "
            f"{_ratio(f['ratio'])} | {f['goal'] or 'reported'} | {f['verdict']} |"
        )
    notes = [f"- ({f['case']}) {f['note']}" for f in result["figures"] if f["note"]]
    if notes:
        lines += ["", "Notes:", "", *notes]
    checks = result.get("checks", [])
    if checks:
        lines += ["", "Answers checked against SQL:", ""]
        lines += [f"- {'ok' if c['ok'] else 'WRONG'}: {c['what']} ({c['detail']})" for c in checks]
    return "\n".join(lines) + "\n"
