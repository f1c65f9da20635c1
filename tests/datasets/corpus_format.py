"""How the broken-line corpus states its expected diagnostics: one per line,
``LINE<TAB>SEVERITY<TAB>CODE<TAB>PATH: MESSAGE`` (LINE is ``-`` for the whole file)."""

from __future__ import annotations

from pathlib import Path

from ftops.datasets import check_dataset

CORPUS = Path(__file__).parent / "corpus"


def listing(path: Path, format: str) -> list[str]:
    report = check_dataset(path, format, display_name=path.name, cap=1000, tokens=False)
    out = []
    for d in report.diagnostics:
        where = f"{d.path}: " if d.path else ""
        out.append(f"{d.line if d.line is not None else '-'}\t{d.severity}\t{d.code}\t{where}{d.message}")
    return out


if __name__ == "__main__":  # regenerate, then review every line by hand before committing
    for fmt in ("chat", "preference", "reinforcement"):
        source = CORPUS / f"broken_{fmt}.jsonl"
        (CORPUS / f"broken_{fmt}.expected").write_text(
            "\n".join(listing(source, fmt)) + "\n", encoding="utf-8"
        )
