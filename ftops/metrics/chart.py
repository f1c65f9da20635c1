"""A compact ASCII chart of training and validation loss, for terminals and CI logs.

Steps are grouped into at most ``width`` columns (each column shows the mean of
its steps), losses into ``height`` rows; ``*`` marks training loss, ``o``
validation loss and ``#`` a cell where both fall. Plain ASCII, so it survives
any log viewer.
"""

from __future__ import annotations

from collections.abc import Sequence

from ftops.metrics.model import StepMetrics

TRAIN_MARK, VALID_MARK, BOTH_MARK = "*", "o", "#"


def _columns(rows: Sequence[StepMetrics], width: int) -> list[tuple[float | None, float | None]]:
    """Mean train and valid loss per column; None where a column has no such value."""
    count = min(width, len(rows))
    columns: list[tuple[float | None, float | None]] = []
    for column in range(count):
        bucket = rows[column * len(rows) // count:(column + 1) * len(rows) // count]
        train = [r.train_loss for r in bucket if r.train_loss is not None]
        valid = [r.valid_loss for r in bucket if r.valid_loss is not None]
        columns.append((
            sum(train) / len(train) if train else None,
            sum(valid) / len(valid) if valid else None,
        ))
    return columns


def loss_chart(steps: Sequence[StepMetrics], *, width: int = 60, height: int = 12) -> str:
    """The chart as text lines (no trailing newline); a short note when there is nothing to draw."""
    rows = sorted(steps, key=lambda r: r.step)
    columns = _columns(rows, width)
    values = [v for pair in columns for v in pair if v is not None]
    if not values:
        return "(no loss values to chart)"
    low, high = min(values), max(values)
    span = (high - low) or 1.0
    grid = [[" "] * len(columns) for _ in range(height)]

    def row_of(value: float) -> int:
        return height - 1 - round((value - low) / span * (height - 1))

    for x, (train, valid) in enumerate(columns):
        if train is not None:
            grid[row_of(train)][x] = TRAIN_MARK
        if valid is not None:
            y = row_of(valid)
            grid[y][x] = BOTH_MARK if grid[y][x] == TRAIN_MARK else VALID_MARK
    lines = []
    for y, cells in enumerate(grid):
        value = high - y * span / (height - 1)
        label = f"{value:7.3f}" if y in (0, height // 2, height - 1) else " " * 7
        lines.append(f"{label} |{''.join(cells)}")
    axis = "-" * len(columns)
    first, last = str(rows[0].step), str(rows[-1].step)
    gap = max(1, len(columns) - len(first) - len(last))
    lines.append(f"{'':7} +{axis}")
    lines.append(f"{'step':>7}  {first}{' ' * gap}{last}")
    legend = f"{'':9}{TRAIN_MARK} training loss"
    if any(valid is not None for _train, valid in columns):
        legend += f"   {VALID_MARK} validation loss   {BOTH_MARK} both"
    lines.append(legend)
    return "\n".join(lines)
