"""The broken-manifest corpus: each case's diagnostics, rendered, must be exactly its expected.txt.

A case is a folder ``corpus/<name>/`` with ``manifests/`` and ``expected.txt``
(one ``FILE:LINE:COL: PATH: message`` per line; ``{root}`` stands for the
project root, which is a temporary folder here).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from ftops.diagnostics import errors_of
from ftops.errors import ManifestError
from ftops.manifest import load_project, validate_manifests

from .helpers import CORPUS, install_case

CASES = sorted(p.name for p in CORPUS.iterdir() if p.is_dir())


def test_the_corpus_is_large_enough() -> None:
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES)
def test_case_reports_exactly_the_expected_diagnostics(case: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    root = install_case(CORPUS / case, tmp_path / "project")
    monkeypatch.chdir(root)
    expected = (CORPUS / case / "expected.txt").read_text(encoding="utf-8").splitlines()
    assert expected, "a corpus case must expect at least one diagnostic"

    project, diagnostics = validate_manifests(Path("manifests"))
    rendered = [d.render().replace(str(root.resolve()), "{root}") for d in diagnostics]
    assert rendered == expected

    if errors_of(diagnostics):
        assert project is None
        with pytest.raises(ManifestError) as caught:
            load_project(Path("manifests"))
        assert list(caught.value.diagnostics) == errors_of(diagnostics)
    else:  # warnings only: the project still loads
        assert project is not None
        assert load_project(Path("manifests")) == project
