"""Dependencies by need (issue 17, item 5): boto3 and psycopg come from the ``s3`` and
``postgres`` extras; a backend whose extra is missing is one error line naming the extra and
how to install it, for the way ftops was installed. The missing module is simulated with a
``sys.modules`` entry set to None, in a process of its own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from ftops.extras import install_command_for

REPO = Path(__file__).resolve().parents[2]

MANIFEST = """\
project: extras
provider: {{type: emulator}}
backend: {backend}
"""


def ftops_without(module: str, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """``ftops ARGS`` in a process where ``import MODULE`` fails, as when its extra is not installed."""
    probe = (f"import sys; sys.modules[{module!r}] = None; sys.argv = ['ftops', *{list(args)!r}]\n"
             "from ftops.cli import main; main()")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PG", "FTOPS_PG", "AWS_"))}
    env.update({"PYTHONPATH": str(REPO), "NO_COLOR": "1"})
    return subprocess.run([sys.executable, "-c", probe], cwd=cwd, env=env, capture_output=True,
                          text=True, check=False)


@pytest.mark.parametrize(
    ("module", "extra", "backend"),
    [("boto3", "s3", "{type: s3, bucket: team-state}"), ("psycopg", "postgres", "{type: postgres}")],
)
@pytest.mark.parametrize("command", [("plan",), ("state", "list"), ("init",)])
def test_a_backend_without_its_extra_is_one_line_naming_it(
    tmp_path: Path, module: str, extra: str, backend: str, command: tuple[str, ...]
) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "main.yaml").write_text(MANIFEST.format(backend=backend))
    result = ftops_without(module, tmp_path, *command)
    assert result.returncode == 1, result.stdout + result.stderr
    errors = [line for line in result.stderr.splitlines() if line.strip()]
    assert errors == [
        f"Error: the {extra} state backend needs {module}, which is not installed (the '{extra}' extra)",
        # The tests run from a source checkout: the hint installs from it, not from an index.
        f"  Install it: pip install -e '{REPO.resolve()}[{extra}]'",
    ], result.stderr


def test_the_local_backend_needs_neither_extra(tmp_path: Path) -> None:
    (tmp_path / "manifests").mkdir()
    (tmp_path / "manifests" / "main.yaml").write_text(MANIFEST.format(backend="{type: local}"))
    probe = ("import sys; sys.modules['boto3'] = sys.modules['psycopg'] = None\n"
             "sys.argv = ['ftops', 'state', 'list']\nfrom ftops.cli import main; main()")
    env = {**os.environ, "PYTHONPATH": str(REPO), "NO_COLOR": "1"}
    result = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, env=env, capture_output=True,
                            text=True, check=False)
    assert result.returncode == 0, result.stderr


def test_remote_state_clients_are_extras_and_the_test_extra_pulls_every_extra() -> None:
    project = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]
    required = " ".join(project["dependencies"])
    assert "boto3" not in required and "psycopg" not in required
    extras = project["optional-dependencies"]
    assert any(r.startswith("boto3") for r in extras["s3"])
    assert any(r.startswith("psycopg") for r in extras["postgres"])
    pulled = next(r for r in extras["test"] if r.startswith("ftops["))
    assert set(pulled.removeprefix("ftops[").rstrip("]").split(",")) == set(extras) - {"test", "bench"}


def record(url: str, editable: bool) -> str:
    return json.dumps({"url": url, "dir_info": {"editable": editable}})


def test_the_install_hint_follows_how_ftops_was_installed(tmp_path: Path) -> None:
    site = tmp_path / "site-packages" / "ftops"  # an index install: no pyproject beside it
    site.mkdir(parents=True)
    checkout = tmp_path / "src" / "ftops-checkout"
    checkout.mkdir(parents=True)
    elsewhere = tmp_path / "elsewhere"
    assert install_command_for("plot", None, site, elsewhere) == "pip install 'ftops[plot]'"
    editable = record(checkout.as_uri(), editable=True)
    assert install_command_for("plot", editable, site, checkout) == "pip install -e '.[plot]'"
    assert install_command_for("s3", editable, site, elsewhere) == f"pip install -e '{checkout}[s3]'"
    copied = record(checkout.as_uri(), editable=False)  # `pip install FOLDER`, not editable
    assert install_command_for("s3", copied, site, elsewhere) == f"pip install '{checkout}[s3]'"
    wheel = json.dumps({"url": "https://example.invalid/ftops-0.1.0.whl", "archive_info": {}})
    assert install_command_for("s3", wheel, site, elsewhere) == "pip install 'ftops[s3]'"
    # Run from a checkout without being installed (PYTHONPATH): the checkout's pyproject says so.
    (checkout / "pyproject.toml").write_text('[project]\nname = "ftops"\n')
    from_checkout = install_command_for("postgres", None, checkout / "ftops", checkout)
    assert from_checkout == "pip install -e '.[postgres]'"
