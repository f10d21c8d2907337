"""The examples in ``examples/`` run as their users run them: ``pytest examples/<name>`` in a
subprocess, with densho's pytest plugin loaded through its entry point, each example's own tests
starting its own densho.

The Node example needs Node.js and npm (on every machine densho is developed and tested on):
when either is missing the test fails, never skips. Its packages (``npm ci``: the versions of
its package-lock.json) are installed once per lock into ``~/.cache/densho-clients`` and linked
into a copy of the example, so the work tree gets no node_modules.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples"
CACHE = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "densho-clients"


def run_example(path: Path, *, passed: int) -> None:
    """``pytest path`` in a subprocess: every test passes, and exactly ``passed`` of them."""
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    env.pop("PYTEST_ADDOPTS", None)
    command = [sys.executable, "-m", "pytest", str(path), "-p", "no:cacheprovider", "-q"]
    result = subprocess.run(
        command, cwd=path, env=env, capture_output=True, text=True, timeout=240, check=False
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output
    assert re.search(rf"^{passed} passed\b", result.stdout, re.MULTILINE), output


@pytest.mark.timeout(120)
def test_boto3_worker_and_the_readme_example() -> None:
    run_example(EXAMPLES / "boto3_worker", passed=2)


@pytest.mark.timeout(260)
def test_celery_app() -> None:
    run_example(EXAMPLES / "celery_app", passed=1)


@pytest.mark.timeout(600)
def test_node_sqs_consumer(tmp_path: Path) -> None:
    source = EXAMPLES / "node_sqs_consumer"
    modules = _node_modules(source)
    copy = tmp_path / "node_sqs_consumer"
    shutil.copytree(source, copy, ignore=shutil.ignore_patterns("node_modules"))
    (copy / "node_modules").symlink_to(modules, target_is_directory=True)
    run_example(copy, passed=1)


def _node_modules(example: Path) -> Path:
    """The example's packages, installed once per version of its package files."""
    for tool in ("node", "npm"):
        if shutil.which(tool) is None:
            pytest.fail(f"the Node example needs {tool} (Node.js 20 or later) on PATH")
    files = ("package.json", "package-lock.json")
    digest = hashlib.sha256(b"".join((example / f).read_bytes() for f in files)).hexdigest()
    home = CACHE / f"examples-node-{digest[:16]}"
    modules = home / "node_modules"
    if not (modules / "sqs-consumer").is_dir():
        home.mkdir(parents=True, exist_ok=True)
        for name in files:
            shutil.copy(example / name, home / name)
        npm = ["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"]
        done = subprocess.run(
            npm, cwd=home, capture_output=True, text=True, timeout=480, check=False
        )
        assert done.returncode == 0, f"npm install failed:\n{done.stdout}\n{done.stderr}"
    return modules


def test_the_readme_shows_the_example_as_it_is() -> None:
    """The README's complete example is the tested file's code, word for word."""
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    section = readme.split("\n## Testing with densho\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```python\n(.*?)```", section, re.DOTALL)
    shown = [b for b in blocks if "make_queues" in b]
    assert len(shown) == 2
    tested = (EXAMPLES / "boto3_worker" / "test_worker.py").read_text(encoding="utf-8")
    for block in shown:
        assert block in tested
