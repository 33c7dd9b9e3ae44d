"""``make bench``: run every benchmark of this folder and write benchmarks/RESULTS.md.

Each benchmark is a script that measures pcmd against a baseline in the same run (a bare
loop, a hand-written SQL statement, the service called without Prefect …), prints its
figures, baselines and ratios, and exits non-zero when it misses its target. This runner
starts each one in its own process (one at a time, so they do not slow each other), with a
time limit, keeps what it printed, and adds:

- the machine: CPU model, cores, memory, Python, operating system, date, commit;
- how the sweep's cost grows with the task count (benchmarks/scaling.py, 1x–8x national).

Repetitions are reduced where a script allows it (``ARGS``) so that the whole run stays under
15 minutes on a 2-core machine; dataset sizes are never reduced.

Run: ``make bench`` or ``.venv/bin/python -m benchmarks.run_all [--only NAME ...]``.
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import re
import subprocess
import sys
import time
from contextlib import redirect_stdout
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import psutil

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "RESULTS.md"
#: modules here that are not benchmarks
NOT_BENCHMARKS = {"__init__", "run_all", "synthetic", "scaling"}
#: fewer repetitions, same dataset sizes
ARGS: dict[str, list[str]] = {
    "channels_throughput": ["--messages", "100"],
    "sweep_dispatch": ["--messages", "60"],
    "web_latency": ["--requests", "150"],
    "flow_overhead": ["--rounds", "1"],
    "serve_memory": ["--idle-seconds", "3"],
}
#: seconds a benchmark may run before it is stopped
LIMIT = 420
_ENV = {"PREFECT_SERVER_ANALYTICS_ENABLED": "false", "DO_NOT_TRACK": "1"}
#: how the benchmarks say a figure misses its target
_MISSED = re.compile(r"OVER TARGET|BELOW TARGET|target[^\]]*: over\]|NOT MET", re.IGNORECASE)


@dataclass(frozen=True, kw_only=True)
class Outcome:
    name: str
    args: list[str]
    exit_code: int | None  # None: stopped at the time limit
    seconds: float
    output: str

    @property
    def over_target(self) -> list[str]:
        """Lines where the benchmark itself says a figure misses its target."""
        return [ln.strip() for ln in self.output.splitlines() if _MISSED.search(ln)]

    @property
    def verdict(self) -> str:
        if self.exit_code is None:
            return f"stopped after {LIMIT} s"
        if self.exit_code != 0:
            return f"target missed (exit {self.exit_code})"
        missed = len(self.over_target)
        return f"{missed} figure(s) over target (see its output)" if missed else "targets met"


def discover() -> list[str]:
    """Benchmark scripts of this folder: every ``*.py`` with a ``__main__`` block."""
    names = []
    for path in sorted(HERE.glob("*.py")):
        if path.stem in NOT_BENCHMARKS:
            continue
        if '__name__ == "__main__"' in path.read_text(encoding="utf-8"):
            names.append(path.stem)
    return names


def run_script(name: str) -> Outcome:
    args = ARGS.get(name, [])
    command = [sys.executable, str(HERE / f"{name}.py"), *args]
    print(f"== {name} {' '.join(args)}", flush=True)
    started = time.perf_counter()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env={**os.environ, **_ENV},
            capture_output=True,
            text=True,
            timeout=LIMIT,
            check=False,
        )
        code: int | None = done.returncode
        output = done.stdout + (f"\n[stderr]\n{done.stderr}" if done.returncode else "")
    except subprocess.TimeoutExpired as exc:
        code = None
        out = exc.stdout.decode() if isinstance(exc.stdout, bytes) else (exc.stdout or "")
        output = out + f"\n[stopped after {LIMIT} s]"
    seconds = time.perf_counter() - started
    print(output.rstrip(), flush=True)
    return Outcome(name=name, args=args, exit_code=code, seconds=seconds, output=output)


def run_scaling() -> tuple[dict[str, Any], Outcome]:
    from benchmarks import scaling

    print("== scaling", flush=True)
    buffer = io.StringIO()
    started = time.perf_counter()
    with redirect_stdout(buffer):
        figures = scaling.main([])
    output = buffer.getvalue()
    print(output.rstrip(), flush=True)
    outcome = Outcome(
        name="scaling",
        args=[],
        exit_code=0,
        seconds=time.perf_counter() - started,
        output=output,
    )
    return figures, outcome


def _cpu_model() -> str:
    try:
        text = Path("/proc/cpuinfo").read_text(encoding="utf-8")
    except OSError:
        return platform.processor() or "unknown"
    found = re.search(r"^model name\s*:\s*(.+)$", text, re.MULTILINE)
    return found.group(1).strip() if found else platform.processor() or "unknown"


def _os_name() -> str:
    try:
        text = Path("/etc/os-release").read_text(encoding="utf-8")
        found = re.search(r'^PRETTY_NAME="?([^"\n]+)"?$', text, re.MULTILINE)
        if found:
            return f"{found.group(1)} ({platform.system()} {platform.release()})"
    except OSError:
        pass
    return platform.platform()


def _commit() -> str:
    try:
        done = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=False,
        )
    except OSError:
        return "unknown"
    return done.stdout.strip() or "unknown"


def machine(now: datetime) -> list[tuple[str, str]]:
    local = now.astimezone(ZoneInfo("Asia/Ho_Chi_Minh"))
    return [
        ("CPU", _cpu_model()),
        ("cores", f"{psutil.cpu_count(logical=False)} physical, {os.cpu_count()} logical"),
        ("memory", f"{psutil.virtual_memory().total / 1024**3:.1f} GiB"),
        ("Python", f"{platform.python_version()} ({platform.python_implementation()})"),
        ("OS", _os_name()),
        ("date", f"{local:%Y-%m-%d %H:%M} (+07:00), {now:%Y-%m-%dT%H:%MZ}"),
        ("commit", _commit()),
        ("PostgreSQL", "yes" if os.environ.get("PCMD_TEST_POSTGRES_URL") else "not set (SQLite)"),
    ]


def render(
    *,
    now: datetime,
    outcomes: list[Outcome],
    scaling: dict[str, Any] | None,
    total_seconds: float,
) -> str:
    lines = [
        "# Benchmark results",
        "",
        "Written by `make bench` (`python -m benchmarks.run_all`); do not edit by hand. Each "
        "benchmark measures pcmd and its baseline in the same run and prints both with their "
        "ratio; the sections below keep what each one printed. A figure over its target is "
        "reported as such, not hidden.",
        "",
        "## Machine",
        "",
        "| | |",
        "|---|---|",
        *(f"| {k} | {v} |" for k, v in machine(now)),
        "",
        f"Whole run: {total_seconds / 60:.1f} minutes.",
        "",
        "## Summary",
        "",
        "| benchmark | arguments | time | outcome |",
        "|---|---|---:|---|",
    ]
    for o in outcomes:
        args = " ".join(o.args) or "(defaults)"
        lines.append(f"| `{o.name}` | `{args}` | {o.seconds:.0f} s | {o.verdict} |")
    if scaling is not None:
        rows = scaling["rows"]
        lines += [
            "",
            "## How the sweep's cost grows (benchmarks/scaling.py)",
            "",
            f"The morning sweep of {scaling['as_of']} on the synthetic national dataset grown "
            "to 1x, 2x, 4x and 8x its task count, each run in a fresh process on a clean "
            "outbox (SQLite). Baseline: the 1x run. Linear cost keeps µs per task flat and "
            "the time ratio equal to the scale.",
            "",
            "| scale | provinces | tasks | notices written | sweep (s) | µs per task | "
            "time / 1x | peak RSS (MB) | RSS over base (MB) | memory / 1x |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for r in rows:
            lines.append(
                f"| {r['scale']}x | {r['provinces']} | {r['tasks']:,} | {r['notices']:,} | "
                f"{r['seconds']:.2f} | {r['us_per_task']:.1f} | {r['time_ratio']:.2f} | "
                f"{r['rss_peak_mb']:.0f} | {r['memory_extra_mb']:.0f} | "
                f"{r['memory_ratio']:.2f} |"
            )
        lines += [
            "",
            f"Time per task at {rows[-1]['scale']}x divided by time per task at 1x: "
            f"**{scaling['linearity']:.2f}** (1.00 = exactly linear).",
        ]
    lines += ["", "## Output of each benchmark", ""]
    for o in outcomes:
        command = " ".join([f"python benchmarks/{o.name}.py", *o.args])
        lines += [
            f"### {o.name}",
            "",
            f"`{command}` — {o.seconds:.0f} s, {o.verdict}.",
            "",
            "```",
            o.output.rstrip(),
            "```",
            "",
        ]
    return "\n".join(lines).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", nargs="*", help="run only these benchmarks (names)")
    parser.add_argument("--no-scaling", action="store_true", help="skip benchmarks/scaling.py")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args(argv)
    now = datetime.now(UTC)
    started = time.perf_counter()
    names = discover()
    if args.only:
        names = [n for n in names if n in args.only]
    outcomes = [run_script(name) for name in names]
    scaling_figures = None
    if not args.no_scaling and (not args.only or "scaling" in args.only):
        scaling_figures, outcome = run_scaling()
        outcomes.append(outcome)
    total = time.perf_counter() - started
    args.out.write_text(
        render(now=now, outcomes=outcomes, scaling=scaling_figures, total_seconds=total),
        encoding="utf-8",
    )
    print(f"wrote {args.out} ({total / 60:.1f} minutes)")
    return 0 if all(o.exit_code == 0 for o in outcomes) else 1


if __name__ == "__main__":
    sys.exit(main())
