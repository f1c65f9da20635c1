"""Diagnostics gathered over a whole file, capped per kind.

A file with a million bad lines must still give a short report: the first few
problems of each kind are kept with their lines, and the rest are counted and
summed up in one line per kind at the end.
"""

from __future__ import annotations

from collections import Counter

from ftops.diagnostics import Diagnostic, Severity

DEFAULT_CAP = 10


class Collector:
    def __init__(self, file: str, cap: int = DEFAULT_CAP) -> None:
        self.file = file
        self.cap = cap
        self._kept: list[Diagnostic] = []
        self._counts: Counter[str] = Counter()
        self._severity: dict[str, Severity] = {}
        self.error_count = 0

    def add(self, line: int | None, path: str, message: str, code: str, severity: Severity = "error") -> None:
        self._counts[code] += 1
        self._severity.setdefault(code, severity)
        if severity == "error":
            self.error_count += 1
        if self._counts[code] <= self.cap:
            self._kept.append(Diagnostic(self.file, line, None, path, message, severity, code))

    def error(self, line: int | None, path: str, message: str, code: str) -> None:
        self.add(line, path, message, code, "error")

    def warning(self, line: int | None, path: str, message: str, code: str) -> None:
        self.add(line, path, message, code, "warning")

    def count(self, code: str) -> int:
        return self._counts[code]

    @property
    def warning_count(self) -> int:
        return sum(count for code, count in self._counts.items() if self._severity[code] == "warning")

    def diagnostics(self) -> tuple[Diagnostic, ...]:
        """Errors in file order, then one line per capped kind of error; the same for warnings."""
        ordered: list[Diagnostic] = []
        for severity in ("error", "warning"):
            kept = [d for d in self._kept if d.severity == severity]
            ordered.extend(sorted(kept, key=lambda d: d.line or 0))
            for code, count in self._counts.items():
                if count > self.cap and self._severity[code] == severity:
                    rest = count - self.cap
                    plural = "s" if rest > 1 else ""
                    ordered.append(
                        Diagnostic(
                            self.file,
                            None,
                            None,
                            "",
                            f"... and {rest:,} more {severity}{plural} of this kind ({code})",
                            severity,
                            code,
                        )
                    )
        return tuple(ordered)
