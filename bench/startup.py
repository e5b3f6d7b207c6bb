"""Start-up time of the `halotrack` command against a bare interpreter.

Why: every command a user types pays the import cost before it does anything; `--help` and
`--version` should cost little more than Python itself, and no command should load the
sign-in library (msal), the HTTP client or the database layer unless it uses them.

    .venv/bin/python bench/startup.py [--runs N]

Each row is the median of N runs (interleaved, so a busy machine slows all alike) of a
fresh process; the ratio column is against `python -c pass` in the same run. The last line
is `startup_s=<slowest of --version/--help> baseline_s=<python -c pass>`.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def _halotrack() -> list[str]:
    exe = Path(sys.executable).with_name("halotrack")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("halotrack")
    return [found] if found else [sys.executable, "-m", "halotrack"]


def _once(argv: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


def _modules_loaded(args: list[str]) -> set[str]:
    """Top-level packages a command imports, read from `-X importtime` (no code of ours)."""
    code = (
        "import sys; from halotrack.cli import main; "
        f"sys.argv = ['halotrack', *{args!r}]; "
        "rc = main(sys.argv[1:])"
    )
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", code],
        capture_output=True,
        text=True,
        check=False,
    ).stderr
    names = set()
    for line in out.splitlines():
        if line.startswith("import time:") and "|" in line:
            names.add(line.rsplit("|", 1)[1].strip().split(".")[0])
    return names


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=10)
    args = ap.parse_args()
    cmd = _halotrack()
    cases = {
        "python -c pass": [sys.executable, "-c", "pass"],
        "halotrack --version": [*cmd, "--version"],
        "halotrack --help": [*cmd, "--help"],
        "halotrack db --help": [*cmd, "db", "--help"],
    }
    times: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(args.runs):
        for name, argv in cases.items():
            times[name].append(_once(argv))
    med = {name: statistics.median(ts) for name, ts in times.items()}
    base = med["python -c pass"]
    print(f"median of {args.runs} runs each, seconds; extra = time - python -c pass")
    print(f"{'command':28} {'median_s':>9} {'extra_s':>8} {'ratio':>7}")
    for name, t in med.items():
        print(f"{name:28} {t:9.3f} {t - base:8.3f} {t / base:7.2f}")
    heavy = ("msal", "aiohttp", "sqlalchemy", "alembic")
    for probe in (["--version"], ["--help"]):
        loaded = sorted(m for m in heavy if m in _modules_loaded(probe))
        shown = ", ".join(loaded) or "none of " + ", ".join(heavy)
        print(f"halotrack {' '.join(probe):12} loads: {shown}")
    slowest = max(med["halotrack --version"], med["halotrack --help"])
    print(f"startup_s={slowest:.3f} baseline_s={base:.3f}")


if __name__ == "__main__":
    main()
