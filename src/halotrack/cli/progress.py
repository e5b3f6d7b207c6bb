"""Progress of long runs on stderr: a Rich bar with the rate and the time left on a
terminal, a plain line every few seconds otherwise (a log file, CI, cron's mail).

Why one place: `matches sync` and `track` show the same counts the same way, and both
modes take their rate and time left from one formula (done over elapsed), so what a log
says is what the bar said.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from types import TracebackType

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn

PLAIN_EVERY = 10.0  # seconds between plain lines of one task


def duration_text(seconds: float) -> str:
    """`45s`, `3m05s`, `1h02m`: short enough for a line of 80 columns."""
    s = max(0, round(seconds))
    if s < 60:
        return f"{s}s"
    if s < 3600:
        return f"{s // 60}m{s % 60:02d}s"
    return f"{s // 3600}h{s % 3600 // 60:02d}m"


@dataclass
class _Task:
    started: float
    done: int = 0
    total: int | None = None
    shown_at: float | None = None  # when its last plain line was printed
    shown: tuple[int, int | None] | None = None  # what that line said
    bar: TaskID | None = None
    unit: str = ""


class RunProgress:
    """`update(label, done, total)` for counts of `unit` (total None: not known yet).

    On a terminal, one bar per label; otherwise a line per label at its first update,
    then at most every `every` seconds, when it reaches its total, and at the end. A label
    updated with `unit=""` is a short step: a bar without rate and time left, and no plain
    lines."""

    def __init__(
        self,
        console: Console,
        *,
        unit: str = "matches",
        transient: bool = False,
        every: float = PLAIN_EVERY,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.console = console
        self.unit = unit
        self.every = every
        self.clock = clock
        self.terminal = console.is_terminal
        self.tasks: dict[str, _Task] = {}
        self.bar: Progress | None = None
        if self.terminal:
            self.bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("{task.fields[rate]}"),
                TextColumn("{task.fields[left]}"),
                console=console,
                transient=transient,
                get_time=clock,
            )

    def __enter__(self) -> RunProgress:
        if self.bar is not None:
            self.bar.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()
            return
        for label, task in self.tasks.items():
            if task.unit and task.shown != (task.done, task.total):
                self._line(label, task)

    def rate(self, task: _Task) -> float | None:
        elapsed = self.clock() - task.started
        return task.done / elapsed if task.done and elapsed > 0 else None

    def left(self, task: _Task) -> float | None:
        """Seconds left at the rate so far (None before the first count or the total)."""
        rate = self.rate(task)
        if rate is None or task.total is None:
            return None
        return max(0, task.total - task.done) / rate

    def update(self, label: str, done: int, total: int | None, unit: str | None = None) -> None:
        task = self.tasks.get(label)
        if task is None:
            unit = self.unit if unit is None else unit
            task = self.tasks[label] = _Task(started=self.clock(), unit=unit)
        task.done, task.total = done, total
        if self.bar is not None:
            self._draw(label, task)
            return
        if not task.unit or (total is None and not done):
            return  # a short step, or nothing to say yet
        now = self.clock()
        finished = total is not None and done >= total
        due = task.shown_at is None or now - task.shown_at >= self.every or finished
        if due and task.shown != (done, total):
            self._line(label, task)

    def _draw(self, label: str, task: _Task) -> None:
        assert self.bar is not None
        rate, left = (self.rate(task), self.left(task)) if task.unit else (None, None)
        rate_text = f"{rate:.1f} {task.unit}/s" if rate else ""
        left_text = f"{duration_text(left)} left" if left is not None else ""
        if task.bar is None:
            task.bar = self.bar.add_task(label, total=task.total, rate="", left="")
        self.bar.update(
            task.bar, completed=task.done, total=task.total, rate=rate_text, left=left_text
        )

    def _line(self, label: str, task: _Task) -> None:
        task.shown_at, task.shown = self.clock(), (task.done, task.total)
        count = f"{task.done}/{task.total}" if task.total is not None else f"{task.done}"
        parts = [f"{label[:24]}: {count} {task.unit}"]
        rate, left = self.rate(task), self.left(task)
        if rate is not None:
            parts.append(f"{rate:.1f}/s")
        if left is not None and task.done < (task.total or 0):
            parts.append(f"about {duration_text(left)} left")
        self.console.print(", ".join(parts), highlight=False, markup=False, soft_wrap=True)
