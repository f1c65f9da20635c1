"""The PNG for people: loss and accuracy against steps, via matplotlib (the optional ``plot`` extra)."""

from __future__ import annotations

import os
from pathlib import Path

from ftops.extras import require
from ftops.metrics.export import publish, temporary_beside
from ftops.metrics.model import JobMetrics
from ftops.metrics.summary import Summary


def write_png(metrics: JobMetrics, summary: Summary, path: Path) -> None:
    """Two panels (loss, accuracy); the best validation step is marked. Written atomically."""
    require("matplotlib", "plot", "--plot")
    import matplotlib

    matplotlib.use("Agg")  # no display: files only
    from matplotlib import pyplot

    rows = sorted(metrics.steps, key=lambda r: r.step)
    figure, (loss_axes, accuracy_axes) = pyplot.subplots(2, 1, figsize=(9, 7), sharex=True)
    try:
        def plot(axes: object, pick: str, label: str, style: str) -> None:
            points = [(r.step, getattr(r, pick)) for r in rows if getattr(r, pick) is not None]
            if points:
                xs, ys = zip(*points, strict=True)
                axes.plot(xs, ys, style, label=label, linewidth=1.2, markersize=3)  # type: ignore[attr-defined]

        plot(loss_axes, "train_loss", "training loss", "-")
        plot(loss_axes, "valid_loss", "validation loss", "o-")
        plot(accuracy_axes, "train_accuracy", "training accuracy", "-")
        plot(accuracy_axes, "valid_accuracy", "validation accuracy", "o-")
        if metrics.checkpoints:  # where a usable model was kept, and its full-validation loss
            steps = [c.step for c in metrics.checkpoints]
            loss_axes.plot(steps, [0] * len(steps), "^", color="green", markersize=7, clip_on=False,
                           transform=loss_axes.get_xaxis_transform(), label="checkpoints")
            full = [(c.step, c.full_valid_loss) for c in metrics.checkpoints if c.full_valid_loss is not None]
            if full:
                xs, ys = zip(*full, strict=True)
                loss_axes.plot(xs, ys, "D", color="green", label="full validation loss (checkpoints)")
        best = summary.verdict.best_step
        if best is not None:
            for axes in (loss_axes, accuracy_axes):
                axes.axvline(best, color="grey", linestyle=":",
                             label=f"lowest smoothed validation loss (step {best})")
        if not any(r.train_accuracy is not None or r.valid_accuracy is not None for r in rows):
            accuracy_axes.text(0.5, 0.5, "no accuracy figures in the result file", ha="center",
                               va="center", transform=accuracy_axes.transAxes, color="grey")
        loss_axes.set_ylabel("loss")
        accuracy_axes.set_ylabel("mean token accuracy")
        accuracy_axes.set_xlabel("step")
        title = metrics.label + (" - overfitting" if summary.verdict.overfitting else "")
        loss_axes.set_title(title)
        for axes in (loss_axes, accuracy_axes):
            axes.grid(True, alpha=0.3)
            if axes.get_legend_handles_labels()[0]:
                axes.legend(loc="best", fontsize="small")
        figure.tight_layout()
        fd, temporary = temporary_beside(path)
        os.close(fd)
        try:
            figure.savefig(temporary, format="png", dpi=110)
            publish(temporary, path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
    finally:
        pyplot.close(figure)
