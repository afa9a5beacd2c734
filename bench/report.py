"""RESULTS.md: the machine, the date, every figure next to its baseline and target, then the notes."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

from .common import Figure, Sizes, fmt, machine
from .suite import SuiteResult

NOTES = Path(__file__).with_name("NOTES.md")


def _met(fig: Figure) -> str:
    if fig.met is None:
        return ""
    return "met" if fig.met else "**missed**"


def _ratio(fig: Figure) -> str:
    if fig.ratio is None or fig.ratio != fig.ratio:
        return "–"
    return f"{fig.ratio:.2f}"


def table(figures: list[Figure]) -> list[str]:
    lines = ["| figure | engine | baseline | ratio | target | | how |", "|---|---:|---|---:|---|---|---|"]
    for f in figures:
        baseline = f"{fmt(f.baseline, f.unit)} ({f.baseline_name})" if f.baseline is not None else "–"
        lines.append(f"| {f.name} | {fmt(f.value, f.unit)} | {baseline} | {_ratio(f)} | {f.target} | {_met(f)} | {f.detail} |")
    return lines


def save_result(path: Path, result: SuiteResult, command: str) -> None:
    """The figures and the machine as JSON (bench/.out, not committed), so RESULTS.md can be re-rendered."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "command": command,
                "machine": machine(),
                "sizes": dataclasses.asdict(result.sizes),
                "figures": [dataclasses.asdict(f) for f in result.figures],
                "errors": result.errors,
                "seconds": result.seconds,
            },
            indent=1,
        ),
        encoding="utf-8",
    )


def load_result(path: Path) -> tuple[SuiteResult, str, dict[str, str]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    sizes = data["sizes"]
    result = SuiteResult(
        Sizes(**{k: tuple(v) if isinstance(v, list) else v for k, v in sizes.items()}),
        [Figure(**f) for f in data["figures"]],
        data["errors"],
        data["seconds"],
    )
    return result, data["command"], data["machine"]


def render(result: SuiteResult, command: str, measured: dict[str, str] | None = None) -> str:
    m = measured or machine()
    out = [
        "# Benchmark results",
        "",
        f"Measured {m['date']} with `{command}` ({result.sizes.name} sizes).",
        "",
        f"- CPU: {m['cpu']}, {m['cores']}",
        f"- Python: {m['python']} on {m['platform']}",
        "",
        "Every ratio compares the engine with a baseline measured in the same run (interleaved, so a busy",
        "machine slows both alike). Timings are medians. Nothing here is a pass/fail test.",
        "",
    ]
    sections: dict[str, list[Figure]] = {}
    for fig in result.figures:
        sections.setdefault(fig.section, []).append(fig)
    missed = [f for f in result.figures if f.met is False]
    out += ["## Summary", ""]
    met = sum(1 for f in result.figures if f.met)
    total = sum(1 for f in result.figures if f.met is not None)
    out.append(
        f"{met} of {total} targets met"
        + (": missed " + "; ".join(f"{f.name} ({_ratio(f)}, target {f.target})" for f in missed) if missed else ".")
    )
    out.append("")
    for name, figures in sections.items():
        seconds = next((s for k, s in result.seconds.items() if figures and k in _SECTION_KEYS.get(name, ())), None)
        out += [f"## {name}", ""] + table(figures) + [""]
        if seconds is not None:
            out += [f"_Section time: {seconds:.0f} s._", ""]
    for name, error in result.errors.items():
        out += [f"## {name}: failed to run", "", "```", error.rstrip(), "```", ""]
    if NOTES.exists():
        out += [NOTES.read_text(encoding="utf-8").rstrip(), ""]
    return "\n".join(out)


_SECTION_KEYS = {
    "1. Per-call overhead": ("overhead",),
    "2. Start-up": ("startup",),
    "3. Large accounts": ("large",),
    "4. Many steps at once": ("many",),
}


def summary_lines(result: SuiteResult) -> list[str]:
    """A plain-text summary for the terminal."""
    lines = []
    for f in result.figures:
        ratio = f" ratio {_ratio(f)}" if f.ratio is not None else ""
        target = f" target {f.target} {_met(f).strip('*')}" if f.target else ""
        lines.append(f"{f.section} | {f.name}: {fmt(f.value, f.unit)}{ratio}{target}")
    for name in result.errors:
        lines.append(f"{name}: FAILED to run (see RESULTS.md or run with --raise)")
    return lines
