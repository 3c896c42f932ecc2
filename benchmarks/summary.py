"""Every goal's figures in one table (``make bench``): exits 1 when any is over its goal, or when a goal
has no figure at all (its script failed before measuring).

    python benchmarks/summary.py FIGURES.jsonl [--goals 1,2,3,4,5]
"""
from __future__ import annotations

import argparse
import datetime as dt
import os

import figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("figures", help="the JSON lines file the benchmark scripts appended to")
    parser.add_argument("--goals", default="1,2,3,4,5", help="goals that must have figures")
    args = parser.parse_args()
    found = figures.read(args.figures)
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    print(f"\nIssue 11 goals, {dt.datetime.now().astimezone():%Y-%m-%d %H:%M %Z}"
          + (f"; load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f} on {os.cpu_count()} cores" if load else ""))
    if found:
        print(figures.table(found))
    over = [f for f in found if f.over]
    missing = [g for g in args.goals.split(",") if g and not any(f.goal == g for f in found)]
    for number in sorted({f.goal for f in found}):
        mine = [f for f in found if f.goal == number]
        bad = [f for f in mine if f.over]
        print(f"goal {number}: {len(mine) - len(bad)} of {len(mine)} figures within the goal"
              + ("" if bad else " (held)"))
    for number in missing:
        print(f"goal {number}: NO FIGURE (its benchmark failed before measuring; see above)")
    if over or missing:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
