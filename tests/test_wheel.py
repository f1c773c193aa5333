"""The installable package: the wheel and sdist carry everything telcolens reads at run time.

The fast tests hold pyproject's package-data globs against the tree; the slow ones build the
sdist and, from it, the wheel (``python -m build``), install the wheel into a fresh virtualenv
outside the checkout and run ``telcolens demo`` and ``telcolens serve`` from there.
"""

from __future__ import annotations

import glob
import os
import re
import shutil
import socket
import subprocess
import sys
import tarfile
import time
import tomllib
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from telcolens.web import VENDOR_FILES

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "src" / "telcolens"
NODE_MODULES = PACKAGE / "web" / "node_modules"
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
PACKAGE_DATA: list[str] = PYPROJECT["tool"]["setuptools"]["package-data"]["telcolens"]
# Inputs to `make setup`, not read at run time: they go in the sdist (MANIFEST.in) only.
BUILD_INPUTS = {"web/package.json", "web/package-lock.json"}
LICENCE = re.compile(r"(LICENSE|NOTICE)[^/]*$")


def package_data_files() -> set[str]:
    """The files (relative to src/telcolens) the package-data globs pick, as setuptools does."""
    return {
        Path(p).relative_to(PACKAGE).as_posix()
        for pattern in PACKAGE_DATA
        for p in glob.glob(str(PACKAGE / pattern), recursive=True)
        if Path(p).is_file()
    }


def source_files(suffix_py: bool) -> set[str]:
    """Our files under src/telcolens (node_modules and byte code left out)."""
    out = set()
    for path in PACKAGE.rglob("*"):
        rel = path.relative_to(PACKAGE)
        if not path.is_file() or rel.parts[:2] == ("web", "node_modules"):
            continue
        if "__pycache__" in rel.parts or path.suffix == ".pyc":
            continue
        if (path.suffix == ".py") == suffix_py:
            out.add(rel.as_posix())
    return out


def served_npm_files() -> set[str]:
    """The node_modules files the console serves (telcolens.web.VENDOR_FILES)."""
    return {f"web/node_modules/{source}" for source in VENDOR_FILES.values() if source}


def test_every_package_data_glob_picks_files() -> None:
    assert NODE_MODULES.is_dir(), "the console's npm assets are missing: run `make setup`"
    for pattern in PACKAGE_DATA:
        assert glob.glob(str(PACKAGE / pattern), recursive=True), f"{pattern} matches nothing"


def test_every_file_read_at_run_time_is_package_data() -> None:
    """Rules, migrations' template, Spark's logging, the console's pages and scripts..."""
    missing = source_files(suffix_py=False) - BUILD_INPUTS - package_data_files()
    assert not missing, f"not in pyproject's package-data: {sorted(missing)}"


def test_the_wheel_takes_exactly_the_npm_files_the_console_serves() -> None:
    """What VENDOR_FILES maps, and those packages' licences; not the rest of node_modules."""
    npm = {f for f in package_data_files() if f.startswith("web/node_modules/")}
    assert {f for f in npm if not LICENCE.search(f)} == served_npm_files()
    own = {f"web/static/{url}" for url, source in VENDOR_FILES.items() if source is None}
    assert own <= package_data_files()


# --- the built package (slow) ------------------------------------------------------------


def _clean_env() -> dict[str, str]:
    """This process's environment without what points at the checkout or its settings."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("TELCOLENS_") and k not in {"PYTHONPATH", "VIRTUAL_ENV"}
    }
    return {**env, "COLUMNS": "200", "NO_COLOR": "1"}  # the demo's summary on whole lines


def _run(cmd: list[str | Path], timeout: float, **kwargs) -> str:
    done = subprocess.run(
        [str(c) for c in cmd],
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_clean_env(),
        check=False,
        **kwargs,
    )
    assert done.returncode == 0, f"{cmd[:3]} exited {done.returncode}:\n{done.stdout[-3000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def dist(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist, and the wheel built from it, of a copy of the working tree.

    A copy, so that no build/ or egg-info lands in the checkout and a stale SOURCES.txt there
    cannot add files; node_modules is linked in, as `make setup` left it.
    """
    tmp = tmp_path_factory.mktemp("dist")
    listed = subprocess.run(
        ["git", "-C", ROOT, "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        capture_output=True,
        check=True,
    ).stdout.decode()
    tree = tmp / "telcolens"
    for rel in filter(None, listed.split("\0")):
        if (ROOT / rel).is_file():  # not one deleted in the working tree
            (tree / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / rel, tree / rel)
    (tree / "src/telcolens/web/node_modules").symlink_to(NODE_MODULES)
    _run([sys.executable, "-m", "build", "--outdir", tmp / "out", tree], timeout=600)
    (sdist,) = (tmp / "out").glob("telcolens-*.tar.gz")
    (wheel,) = (tmp / "out").glob("telcolens-*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.mark.slow
def test_the_sdist_holds_the_console_migrations_and_pins(dist: dict[str, Path]) -> None:
    with tarfile.open(dist["sdist"]) as tar:
        names = {n.split("/", 1)[1] for n in tar.getnames() if "/" in n}
    ours = {f"src/telcolens/{f}" for f in source_files(True) | source_files(False)}
    npm = {f"src/telcolens/{f}" for f in served_npm_files()}
    assert {"pyproject.toml", "README.md", "constraints.txt"} <= names
    assert not (ours | npm) - names, sorted((ours | npm) - names)
    assert any("store/migrations/versions/" in n for n in names)
    assert not [n for n in names if "node_modules/" in n and n.endswith(".py")]


@pytest.mark.slow
def test_the_wheel_runs_the_demo_and_serves_the_console_outside_the_checkout(
    dist: dict[str, Path], tmp_path: Path
) -> None:
    with zipfile.ZipFile(dist["wheel"]) as whl:
        files = {n.removeprefix("telcolens/") for n in whl.namelist() if n.startswith("telcolens/")}
    assert files == source_files(True) | package_data_files(), files ^ (
        source_files(True) | package_data_files()
    )

    venv, work = tmp_path / "venv", tmp_path / "work"
    work.mkdir()
    _run([sys.executable, "-m", "venv", venv], timeout=120)
    # The wheel's dependencies at the project's pins (from pip's cache or PyPI).
    pip = [venv / "bin/python", "-m", "pip", "install", "--quiet"]
    _run([*pip, "-c", ROOT / "constraints.txt", dist["wheel"]], timeout=900)
    where = _run([venv / "bin/python", "-c", "import telcolens; print(telcolens.__file__)"], 60)
    assert Path(where.strip()).is_relative_to(venv), where

    telcolens = venv / "bin/telcolens"
    out = work / "demo"
    summary = _run(
        [telcolens, "demo", "--no-serve", "--out", out, "--subscribers", "2000", "--days", "1"],
        timeout=600,
        cwd=work,
    )
    assert "Demo finished" in summary and "Anti-fraud" in summary, summary
    password = re.search(r"demo-admin \(admin\), password (\S+)", summary)
    assert password, summary

    with _serving(telcolens, f"sqlite:///{out / 'telcolens.db'}", work) as url:
        _check_console(url, password.group(1))


def _check_console(url: str, password: str) -> None:
    with httpx.Client(base_url=url, timeout=30) as client:
        health = client.get("/health")
        assert health.status_code == 200 and health.json()["database"] == "ok", health.text
        login = client.get("/login")
        assert login.status_code == 200 and "/static/js/login.js" in login.text
        assert client.get("/static/js/login.js").content
        for path, source in VENDOR_FILES.items():
            r = client.get(f"/static/vendor/{path}")
            expected = PACKAGE / "web/static" / path if source is None else NODE_MODULES / source
            assert r.status_code == 200, (path, r.text)
            assert r.content == expected.read_bytes(), path
        r = client.post("/api/auth/login", json={"name": "demo-admin", "password": password})
        assert r.status_code == 200, r.text
        client.cookies.clear()
        page = client.get("/", headers={"Authorization": f"Bearer {r.json()['token']}"})
        assert page.status_code == 200 and "/static/vendor/echarts.min.js" in page.text


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def _serving(telcolens: Path, database_url: str, cwd: Path) -> Iterator[str]:
    """``telcolens serve`` on a free loopback port until the block ends; its base URL."""
    port = _free_port()
    log = cwd / "serve.log"
    cmd = [str(telcolens), "serve", "--port", str(port), "--database-url", database_url]
    with log.open("wb") as sink:
        server = subprocess.Popen(cmd, cwd=cwd, env=_clean_env(), stdout=sink, stderr=sink)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"serve exited: {log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, f"no /health in 60 s: {log.read_text()[-2000:]}"
            try:
                httpx.get(f"{url}/health", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.2)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(5)
