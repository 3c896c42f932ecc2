"""The goals' figures (issue 11): each benchmark script appends what it measured to a JSON lines file
(``--figures PATH``), and ``summary.py`` prints them all in one table, marking those over their goal.

A figure is a ratio against a floor or a reference measured in the same run, with its limit: at most
the limit (times a floor), or at least it (a share of a reference's throughput).
"""
from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    """One measured figure: its goal (1-6), what it is, the ratio and its limit, and the raw numbers."""

    goal: str
    name: str
    value: float
    limit: float
    detail: str = ""
    at_least: bool = False  # True: the value must reach the limit (throughput shares)

    @property
    def over(self) -> bool:
        """True when the figure misses its goal."""
        return self.value < self.limit if self.at_least else self.value > self.limit

    def limit_text(self) -> str:
        """The goal as read in the table ("<= 3.0x", ">= 40%")."""
        if self.at_least:
            return f">= {self.limit:.0%}"
        return f"<= {self.limit:g}x"

    def value_text(self) -> str:
        """The measured ratio in the goal's unit."""
        return f"{self.value:.0%}" if self.at_least else f"{self.value:.2f}x"


def append(path: str | Path, *found: Figure) -> None:
    """Add figures to the JSON lines file at ``path``."""
    with open(path, "a", encoding="utf-8") as out:
        for figure in found:
            out.write(json.dumps(asdict(figure)) + "\n")


def read(path: str | Path) -> list[Figure]:
    """Every figure in the file, in the order written."""
    text = Path(path).read_text(encoding="utf-8") if Path(path).exists() else ""
    return [Figure(**json.loads(line)) for line in text.splitlines() if line.strip()]


def table(found: list[Figure]) -> str:
    """The figures as one text table, by goal, each over its goal marked OVER."""
    width = max([len(f.name) for f in found] + [20])
    lines = [f"{'goal':<5} {'figure':<{width}} {'measured':>9} {'goal':>8}  detail"]
    for f in sorted(found, key=lambda f: f.goal):
        lines.append(f"{f.goal:<5} {f.name:<{width}} {f.value_text():>9} {f.limit_text():>8}  {f.detail}"
                     + ("  OVER" if f.over else ""))
    return "\n".join(lines)
