"""The overfitting rule: validation loss rising over the end of training while training loss falls.

The rule, precisely (all figures are on *smoothed* series, so a single noisy
evaluation neither raises nor hides the alarm):

1. Take the steps that have a validation loss; with fewer than
   ``MIN_POINTS`` of them there is nothing to judge.
2. Smooth both losses with a centred moving average over ``window`` points
   (about a tenth of the series, at least 3, always odd; at the edges the
   window shrinks to what exists).
3. ``best`` is the step of the smoothed validation loss's minimum.
4. Overfitting is called when all three hold:
   - ``best`` lies before the last ``TAIL_FRACTION`` (25%) of the steps,
   - the smoothed validation loss at the end is more than ``RISE_THRESHOLD``
     (10%) above its minimum,
   - the smoothed training loss at the end is at least ``TRAIN_FALL_THRESHOLD``
     (2%) below its value at ``best``: the model keeps fitting the training
     data while it gets worse on unseen data.

When validation rises but training does not fall, the verdict says so without
calling it overfitting (that shape points at noise or a too-high learning rate).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from ftops.metrics.model import StepMetrics

MIN_POINTS = 8
TAIL_FRACTION = 0.25
RISE_THRESHOLD = 0.10
TRAIN_FALL_THRESHOLD = 0.02


@dataclass(frozen=True, slots=True)
class OverfitVerdict:
    judged: bool  # False: too few validation points to say anything
    overfitting: bool
    message: str
    best_step: int | None = None
    best_valid_loss: float | None = None  # smoothed
    final_valid_loss: float | None = None  # smoothed
    rise: float | None = None  # (final - best) / best, smoothed validation loss
    train_fall: float | None = None  # (train at best - train at end) / train at best, smoothed

    def to_json(self) -> dict[str, object]:
        return {
            "judged": self.judged, "overfitting": self.overfitting, "message": self.message,
            "best_step": self.best_step, "best_valid_loss": self.best_valid_loss,
            "final_valid_loss": self.final_valid_loss, "rise": self.rise, "train_fall": self.train_fall,
        }


def smoothing_window(points: int) -> int:
    window = max(3, points // 10)
    return window if window % 2 else window + 1


def smooth(values: Sequence[float], window: int) -> list[float]:
    """Centred moving average; the window shrinks at both ends instead of padding."""
    half = window // 2
    prefix = [0.0]
    for value in values:
        prefix.append(prefix[-1] + value)
    out = []
    for index in range(len(values)):
        low, high = max(0, index - half), min(len(values), index + half + 1)
        out.append((prefix[high] - prefix[low]) / (high - low))
    return out


def detect_overfitting(steps: Sequence[StepMetrics]) -> OverfitVerdict:
    """Apply the module's rule to a job's rows (any order; rows lacking a loss are skipped)."""
    rows = sorted(
        (r for r in steps if r.valid_loss is not None and r.train_loss is not None), key=lambda r: r.step
    )
    if len(rows) < MIN_POINTS:
        return OverfitVerdict(
            judged=False, overfitting=False,
            message=f"Not enough validation points to judge overfitting ({len(rows)}, need {MIN_POINTS}); "
            "give the job a validation_file (on Together also hyperparameters.n_evals: "
            f"{MIN_POINTS} or more).",
        )
    window = smoothing_window(len(rows))
    valid = smooth([r.valid_loss for r in rows if r.valid_loss is not None], window)
    train = smooth([r.train_loss for r in rows if r.train_loss is not None], window)
    best = min(range(len(valid)), key=valid.__getitem__)
    first, last = rows[0].step, rows[-1].step
    tail_start = first + (1.0 - TAIL_FRACTION) * (last - first)
    best_step = rows[best].step
    rise = (valid[-1] - valid[best]) / valid[best] if valid[best] > 0 else 0.0
    train_fall = (train[best] - train[-1]) / train[best] if train[best] > 0 else 0.0

    def verdict(overfitting: bool, message: str) -> OverfitVerdict:
        return OverfitVerdict(
            judged=True, overfitting=overfitting, message=message, best_step=best_step,
            best_valid_loss=round(valid[best], 4), final_valid_loss=round(valid[-1], 4),
            rise=round(rise, 4), train_fall=round(train_fall, 4),
        )

    rising = best_step < tail_start and rise > RISE_THRESHOLD
    if rising and train_fall >= TRAIN_FALL_THRESHOLD:
        message = (
            f"Overfitting: smoothed validation loss rose {rise:.0%} from its low of {valid[best]:.3f} "
            f"at step {best_step} to {valid[-1]:.3f} at step {last}, while training loss fell "
            f"{train_fall:.0%} ({train[best]:.3f} -> {train[-1]:.3f}). Train for fewer epochs "
            f"(n_epochs), add varied examples, or use the checkpoint nearest step {best_step}."
        )
        return verdict(True, message)
    if rising:
        message = (
            f"Smoothed validation loss rose {rise:.0%} after step {best_step}, but training loss did not "
            "fall with it: not overfitting; noisy evaluation or a too-high learning rate is more likely."
        )
    else:
        message = (
            f"No sign of overfitting: smoothed validation loss is lowest at step {best_step} "
            f"({valid[best]:.3f}) and ends at {valid[-1]:.3f}."
        )
    return verdict(False, message)
