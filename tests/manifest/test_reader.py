"""The YAML reader on hostile and malformed input: bombs, depth, encodings, duplicates, tabs."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ftops.manifest.reader import MAX_DEPTH, MAX_EXPANDED_NODES, MAX_FILE_BYTES, read_manifest


def read(tmp_path: Path, content: str | bytes) -> tuple[object, list[str]]:
    path = tmp_path / "m.yaml"
    if isinstance(content, str):
        content = content.encode("utf-8")
    path.write_bytes(content)
    doc, problems = read_manifest(path, "m.yaml")
    return (doc.data if doc else None), [p.render() for p in problems]


def billion_laughs(target_bytes: int) -> str:
    """Nine levels of ten aliases each, padded with comments to ``target_bytes``."""
    lines = ['lol0: &lol0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    for level in range(1, 10):
        refs = ", ".join([f"*lol{level - 1}"] * 10)
        lines.append(f"lol{level}: &lol{level} [{refs}]")
    text = "\n".join(lines) + "\n"
    padding = "# " + "x" * 97 + "\n"
    return padding * ((target_bytes - len(text)) // len(padding)) + text


def test_a_one_megabyte_billion_laughs_bomb_is_refused_with_bounded_memory(tmp_path: Path) -> None:
    bomb = billion_laughs(1_000_000)
    assert len(bomb) > 990_000
    tracemalloc.start()
    data, problems = read(tmp_path, bomb)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert data is None
    assert len(problems) == 1
    assert "anchors and aliases expand to more than" in problems[0]
    assert peak < 50 * 1024 * 1024  # the expansion never happens: memory stays near the file's size


def test_a_wide_alias_bomb_is_refused(tmp_path: Path) -> None:
    wide = "x: &x [" + ", ".join(["1"] * 1000) + "]\ny:\n" + "  - *x\n" * (MAX_EXPANDED_NODES // 1000 + 5)
    data, problems = read(tmp_path, wide)
    assert data is None
    assert "a YAML bomb?" in problems[0]


def test_aliases_within_the_limit_are_expanded(tmp_path: Path) -> None:
    data, problems = read(tmp_path, "base: &b {n_epochs: 3}\njob:\n  hyperparameters: *b\n")
    assert problems == []
    assert data == {"base": {"n_epochs": 3}, "job": {"hyperparameters": {"n_epochs": 3}}}


def test_merge_keys_are_supported_and_explicit_keys_win(tmp_path: Path) -> None:
    data, problems = read(tmp_path, "d: &d {a: 1, b: 2}\nj:\n  <<: *d\n  b: 3\n")
    assert problems == []
    assert data == {"d": {"a": 1, "b": 2}, "j": {"a": 1, "b": 3}}


@pytest.mark.parametrize("opening", ["[", "{a: "])
def test_deep_flow_nesting_is_refused(tmp_path: Path, opening: str) -> None:
    closing = "]" if opening == "[" else "}"
    data, problems = read(tmp_path, "x: " + opening * 100_000 + closing * 100_000 + "\n")
    assert data is None
    assert len(problems) == 1
    assert "nest" in problems[0]


def test_deep_block_nesting_is_refused_at_the_limit(tmp_path: Path) -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH + 5))
    data, problems = read(tmp_path, text)
    assert data is None
    assert problems == [f"m.yaml:{MAX_DEPTH + 1}:{MAX_DEPTH + 1}: nested deeper than {MAX_DEPTH} levels"]


def test_nesting_just_under_the_limit_is_fine(tmp_path: Path) -> None:
    text = "".join(" " * i + f"k{i}:\n" for i in range(MAX_DEPTH - 1)) + " " * (MAX_DEPTH - 1) + "leaf: 1\n"
    data, problems = read(tmp_path, text)
    assert problems == []
    assert data is not None


def test_an_oversized_file_is_refused_before_parsing(tmp_path: Path) -> None:
    data, problems = read(tmp_path, "a: 1\n" + "#" * MAX_FILE_BYTES)
    assert data is None
    assert problems == [
        "m.yaml: the file is larger than 2 MiB; split it or check that it is really a manifest"]


def test_duplicate_keys_name_both_lines(tmp_path: Path) -> None:
    data, problems = read(tmp_path, "jobs:\n  a:\n    seed: 1\n    seed: 2\n")
    assert problems == ["m.yaml:4:5: jobs.a.seed: duplicate key 'seed' (first at line 3); YAML keeps only "
                        "one, so delete or rename one of them"]
    assert data == {"jobs": {"a": {"seed": 1}}}


def test_tabs_in_indentation_are_named(tmp_path: Path) -> None:
    _, problems = read(tmp_path, "jobs:\n  a:\n\t\tseed: 1\n")
    assert problems == ["m.yaml:3:1: invalid YAML: a tab character; YAML indentation must use spaces"]


def test_tabs_inside_values_are_fine(tmp_path: Path) -> None:
    data, problems = read(tmp_path, 'a: "x\ty"\nb: x\ty\n')
    assert problems == []
    assert data == {"a": "x\ty", "b": "x\ty"}


def test_non_utf8_is_located(tmp_path: Path) -> None:
    _, problems = read(tmp_path, b"a: 1\nb: \xc3\x28\n")
    assert problems == ["m.yaml:2:4: not valid UTF-8 (byte 0xc3); save the file as UTF-8"]


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    data, problems = read(tmp_path, b"\xef\xbb\xbfproject: demo\n")
    assert problems == []
    assert data == {"project": "demo"}


@pytest.mark.parametrize("encoding", ["utf-16", "utf-32"])
def test_utf16_and_utf32_are_refused(tmp_path: Path, encoding: str) -> None:
    _, problems = read(tmp_path, "project: demo\n".encode(encoding))
    assert problems == [f"m.yaml:1:1: the file is encoded as {encoding.upper()}; save it as UTF-8"]


@pytest.mark.parametrize("content", ["", "\n\n", "# just a comment\n", "---\n", "~\n"])
def test_empty_files_are_refused(tmp_path: Path, content: str) -> None:
    data, problems = read(tmp_path, content)
    assert data is None
    assert len(problems) == 1
    assert "empty" in problems[0] or "not null" in problems[0]


def test_recursive_alias_is_refused(tmp_path: Path) -> None:
    _, problems = read(tmp_path, "a: &a [*a]\n")
    assert problems == ["m.yaml:1:8: alias *a refers to no anchor defined before it"]


def test_python_tags_are_never_constructed(tmp_path: Path) -> None:
    data, problems = read(tmp_path, "a: !!python/object/apply:os.system ['echo pwned']\n")
    assert problems and "unsupported YAML tag" in problems[0]
    assert data == {"a": ["echo pwned"]}


def test_scalars_resolve_with_yaml_rules_but_keys_keep_their_text(tmp_path: Path) -> None:
    text = "1: one\nyes: true\nn: 3\nf: 0.5\ns: '3'\nnull_value: ~\nday: 2025-01-01\n"
    data, problems = read(tmp_path, text)
    assert problems == []
    assert data == {"1": "one", "yes": True, "n": 3, "f": 0.5, "s": "3", "null_value": None,
                    "day": "2025-01-01"}


def test_complex_keys_are_refused(tmp_path: Path) -> None:
    _, problems = read(tmp_path, "? [a, b]\n: 1\n")
    assert problems == ["m.yaml:1:3: a key must be a plain scalar, not a collection"]


def test_positions_are_one_based_and_counted_in_characters(tmp_path: Path) -> None:
    path = tmp_path / "m.yaml"
    path.write_text("name: 춘식이\njobs:\n  a: {seed: x}\n", encoding="utf-8")
    doc, _ = read_manifest(path, "m.yaml")
    assert doc is not None
    assert doc.position(("jobs", "a", "seed")) == type(doc.position(()))(3, 13)
    assert doc.position(("jobs", "a", "seed"), key=True).column == 7
    assert doc.position(("name",)).column == 7


@pytest.mark.parametrize(
    ("text", "column", "length"),
    [
        ("project: x\n" + "k" * 5000 + ": 1\n", 1, 5000),  # a block key
        ("project: x\n" + '"' + "k" * 1030 + '": 1\n', 1, 1032),  # quoted: the quotes count too
        ("project: x\njobs: {a: {" + "k" * 2000 + ": 1}}\n", 12, 2000),  # a flow key
    ],
)
def test_a_key_longer_than_yaml_allows_is_called_too_long_at_its_start(
    tmp_path: Path, text: str, column: int, length: int
) -> None:
    data, problems = read(tmp_path, text)
    assert data is None
    assert problems == [
        f"m.yaml:2:{column}: key too long ({length:,} characters; YAML allows at most 1,024 in a key)"]


def test_a_key_of_yaml_s_maximum_length_is_read(tmp_path: Path) -> None:
    data, problems = read(tmp_path, "k" * 1024 + ": 1\n")
    assert problems == []
    assert data == {"k" * 1024: 1}


def test_a_syntax_error_beside_a_long_value_is_not_called_a_long_key(tmp_path: Path) -> None:
    _, problems = read(tmp_path, "a: " + "v" * 2000 + "\n  b: [\n")
    assert len(problems) == 1
    assert "key too long" not in problems[0]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    length=st.integers(1000, 3000) | st.integers(1020, 1026),
    letter=st.sampled_from("kZ9_é"),
    quoted=st.booleans(),
    flow=st.booleans(),
    indent=st.integers(0, 6),
)
def test_any_key_is_read_or_called_too_long_never_a_missing_colon(
    tmp_path: Path, length: int, letter: str, quoted: bool, flow: bool, indent: int
) -> None:
    key = letter * length
    written = f'"{key}"' if quoted else key
    entry = f"{{{written}: 1}}" if flow else f"{written}: 1"
    text = f"top:\n{' ' * (indent + 1)}{entry}\n"
    data, problems = read(tmp_path, text)
    if len(written) <= 1024:  # YAML's limit is on the key as written, quotes included
        assert problems == [] and data == {"top": {key: 1}}
    else:
        assert data is None
        assert len(problems) == 1 and "key too long" in problems[0], problems
        assert f"({len(written):,} characters;" in problems[0]
