"""The figures people look for first: final and best loss and accuracy, and the verdict."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from ftops.metrics.model import JobMetrics, StepMetrics
from ftops.metrics.overfit import OverfitVerdict, detect_overfitting


@dataclass(frozen=True, slots=True)
class Figure:
    """One value of one series at one step."""

    step: int
    value: float


@dataclass(frozen=True, slots=True)
class Summary:
    steps: int
    final_train_loss: Figure | None
    final_valid_loss: Figure | None
    best_train_loss: Figure | None
    best_valid_loss: Figure | None
    final_valid_accuracy: Figure | None
    best_valid_accuracy: Figure | None
    verdict: OverfitVerdict

    def to_json(self) -> dict[str, object]:
        def figure(f: Figure | None) -> dict[str, float] | None:
            return None if f is None else {"step": f.step, "value": f.value}

        return {
            "steps": self.steps,
            "final_train_loss": figure(self.final_train_loss),
            "final_valid_loss": figure(self.final_valid_loss),
            "best_train_loss": figure(self.best_train_loss),
            "best_valid_loss": figure(self.best_valid_loss),
            "final_valid_accuracy": figure(self.final_valid_accuracy),
            "best_valid_accuracy": figure(self.best_valid_accuracy),
            "overfitting": self.verdict.to_json(),
        }


def _series(rows: Sequence[StepMetrics], pick: Callable[[StepMetrics], float | None]) -> list[Figure]:
    return [Figure(r.step, value) for r in rows if (value := pick(r)) is not None]


def summarize(metrics: JobMetrics) -> Summary:
    rows = sorted(metrics.steps, key=lambda r: r.step)
    train = _series(rows, lambda r: r.train_loss)
    valid = _series(rows, lambda r: r.valid_loss)
    accuracy = _series(rows, lambda r: r.valid_accuracy)
    return Summary(
        steps=len(rows),
        final_train_loss=train[-1] if train else None,
        final_valid_loss=valid[-1] if valid else None,
        best_train_loss=min(train, key=lambda f: f.value) if train else None,
        best_valid_loss=min(valid, key=lambda f: f.value) if valid else None,
        final_valid_accuracy=accuracy[-1] if accuracy else None,
        best_valid_accuracy=max(accuracy, key=lambda f: f.value) if accuracy else None,
        verdict=detect_overfitting(rows),
    )


def render_summary(metrics: JobMetrics, summary: Summary) -> str:
    """The text block under the chart."""

    def show(label: str, figure: Figure | None) -> str:
        if figure is None:
            return f"  {label:<26}      -"
        return f"  {label:<26}{figure.value:>9.4f}  (step {figure.step})"

    lines = [
        f"{metrics.label}: {metrics.status}, {summary.steps} steps, base {metrics.base_model}"
        + (f" -> {metrics.fine_tuned_model}" if metrics.fine_tuned_model else ""),
        show("final training loss", summary.final_train_loss),
        show("lowest training loss", summary.best_train_loss),
        show("final validation loss", summary.final_valid_loss),
        show("lowest validation loss", summary.best_valid_loss),
        show("final validation accuracy", summary.final_valid_accuracy),
        show("best validation accuracy", summary.best_valid_accuracy),
    ]
    if metrics.checkpoints:
        lines.append("  checkpoints:")
        for checkpoint in metrics.checkpoints:
            full = checkpoint.full_valid_loss
            loss = "" if full is None else f"  full validation loss {full:.4f}"
            lines.append(f"    step {checkpoint.step:>6}  {checkpoint.model}{loss}")
    lines.append(summary.verdict.message)
    return "\n".join(lines)
