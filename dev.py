#!/usr/bin/env python3
"""Bootstrap and run halotrack from a fresh clone with nothing but Python 3.11+.

Why: the README promises two commands that work before anything is installed. This script
makes `.venv` on first use (and again whenever pyproject.toml changes), installs the project
with its dev extras, then runs the demo, the tests, or any `halotrack` command inside it.

    python3 dev.py demo            # simulator + SQLite + stats page, no network, no account
    python3 dev.py test [ARGS...]  # the whole test suite (ARGS go to pytest)
    python3 dev.py test --fast     # the inner loop: unit + integration, slow tests left out
    python3 dev.py lint            # ruff check, ruff format --check, mypy, lint-imports, vulture
    python3 dev.py run ARGS...     # any halotrack command

Tests come in three tiers: tests/unit (pure, in-process), tests/integration (the simulator
on loopback, SQLite and PostgreSQL, the CLI in-process) and tests/system (CLIs in
subprocesses, SIGKILL, chaos and soak, the browser). Tests over about 2 s carry the `slow`
mark; `--fast` runs unit and integration without them, `test` alone runs everything.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = Path(os.environ.get("HALOTRACK_VENV", ROOT / ".venv"))
STAMP = VENV / ".halotrack-installed"
FAST_TIERS = ["tests/unit", "tests/integration"]
# Plugins only tests/system uses; loading them costs each pytest process about 2 s.
FAST_PLUGINS_OFF = ["-p", "no:schemathesis", "-p", "no:faker"]


def _bin(name: str) -> Path:
    sub = "Scripts" if os.name == "nt" else "bin"
    suffix = ".exe" if os.name == "nt" else ""
    return VENV / sub / f"{name}{suffix}"


def _wanted_stamp() -> str:
    return hashlib.sha256((ROOT / "pyproject.toml").read_bytes()).hexdigest()


def ensure_env() -> None:
    """Create the virtualenv and install the project when missing or out of date."""
    if sys.version_info < (3, 11):  # noqa: UP036 (dev.py may run under an older python3)
        sys.exit(f"halotrack needs Python 3.11 or newer; this is {sys.version.split()[0]}.")
    if not _bin("python").exists():
        print(f"dev.py: creating {VENV} ...", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    if STAMP.exists() and STAMP.read_text() == _wanted_stamp():
        return
    print("dev.py: installing halotrack and its dev tools (first run only) ...", file=sys.stderr)
    pip = [str(_bin("python")), "-m", "pip", "install", "--disable-pip-version-check", "-q"]
    subprocess.run([*pip, "--upgrade", "pip"], check=True)
    subprocess.run([*pip, "-e", f"{ROOT}[dev]"], check=True)
    STAMP.write_text(_wanted_stamp())


def _dead_code(py: str) -> int:
    """vulture over src, tests and bench (settings in pyproject.toml). Fields and enum members
    under src/halotrack/models/ are left out: the decoders declare every field the API sends,
    read or not."""
    done = subprocess.run([py, "-m", "vulture"], cwd=ROOT, capture_output=True, text=True)
    found = [
        line
        for line in done.stdout.splitlines()
        if not (
            line.startswith(os.path.join("src", "halotrack", "models", ""))
            and ("unused variable" in line or "unused attribute" in line)
        )
    ]
    if found:
        print("\n".join(found), file=sys.stderr)
    if done.returncode not in (0, 3) or done.stderr:  # 3: dead code found
        print(done.stderr or f"vulture exited {done.returncode}", file=sys.stderr)
        return 1
    return 1 if found else 0


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(__doc__)
        return 0
    ensure_env()
    cmd, rest = argv[0], argv[1:]
    py = str(_bin("python"))
    if cmd == "demo":
        return subprocess.call([str(_bin("halotrack")), "demo", *rest])
    if cmd == "test":
        if "--fast" in rest:
            rest = [
                *FAST_PLUGINS_OFF,
                *("-m", "not slow", *FAST_TIERS),
                *(a for a in rest if a != "--fast"),
            ]
        # Spread over every core unless the caller chose otherwise (e.g. `-n 0` to debug).
        workers = [] if any(a == "-n" or a.startswith("-n") for a in rest) else ["-n", "auto"]
        # Bytecode caches on: with PYTHONDONTWRITEBYTECODE set (some machines set it), every
        # pytest worker and every `halotrack` subprocess a test starts compiles the package
        # and re-rewrites the test modules' asserts from source again.
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        return subprocess.call([py, "-m", "pytest", *workers, *rest], cwd=ROOT, env=env)
    if cmd == "lint":
        rc = subprocess.call([py, "-m", "ruff", "check", "."], cwd=ROOT)
        rc |= subprocess.call([py, "-m", "ruff", "format", "--check", "."], cwd=ROOT)
        rc |= subprocess.call([py, "-m", "mypy"], cwd=ROOT)
        # the package layering of ARCHITECTURE.md, as contracts in pyproject.toml
        rc |= subprocess.call([str(_bin("lint-imports"))], cwd=ROOT)
        return rc | _dead_code(py)
    if cmd == "run":
        return subprocess.call([str(_bin("halotrack")), *rest])
    print(f"dev.py: unknown command {cmd!r}; try: demo, test, lint, run", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
