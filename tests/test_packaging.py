"""A regular (non-editable) install ships the tasks and their models."""

from __future__ import annotations

import os
import shutil
import site
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # Built from a copy of what the build reads: a build/ folder left in the checkout by an
    # earlier build would otherwise put modules in the wheel that pyproject does not list.
    source = tmp_path_factory.mktemp("source")
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    for folder in ("simreal", "envs", "assets"):
        shutil.copytree(ROOT / folder, source / folder,
                        ignore=shutil.ignore_patterns("__pycache__"))  # fmt: skip
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return next(out.glob("simreal-*.whl"))


def test_wheel_contains_models_textures_and_tasks(wheel: Path) -> None:
    names = set(zipfile.ZipFile(wheel).namelist())
    for xml in ("pendulum", "cartpole", "reach", "push"):
        assert f"simreal/assets/{xml}.xml" in names
        assert f"simreal/envs/{xml}/env.py" in names
        assert f"simreal/envs/{xml}/expert.py" in names
        assert f"simreal/envs/{xml}/real.py" in names
    assert "simreal/assets/textures/table_wood.png" in names
    assert not any(n.startswith(("envs/", "assets/", "tests/")) for n in names)
    # Every module of the library, sub-packages included (pyproject lists them by hand).
    for module in (ROOT / "simreal").rglob("*.py"):
        assert f"simreal/{module.relative_to(ROOT / 'simreal').as_posix()}" in names, module


def installed_packages_dirs() -> list[str]:
    """The site-packages folders of the running interpreter, where its dependencies are.

    These are where ``pip install`` put gymnasium, MuJoCo and torch: the system's
    when simreal was installed into the system Python, a virtual environment's
    when it was installed there (``.venv-ci`` inside the clone, for CI). The source
    tree itself is not among them.
    """
    dirs = list(site.getsitepackages())
    if site.ENABLE_USER_SITE:
        dirs.append(site.getusersitepackages())
    return [d for d in dirs if Path(d).is_dir() and Path(d).resolve() != ROOT]


def venv_seeing(env_dir: Path, dirs: list[str]) -> Path:
    """A fresh virtual environment whose imports fall back on ``dirs``; returns its python.

    A ``.pth`` file lists the folders after the environment's own site-packages, so
    a package installed into the environment shadows the same package there.
    """
    venv.create(env_dir, with_pip=False)
    python = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    purelib = subprocess.run(
        [str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "installed_dependencies.pth").write_text("".join(f"{d}\n" for d in dirs))
    return python


def test_installed_wheel_finds_its_assets(wheel: Path, tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    python = venv_seeing(env_dir, installed_packages_dirs())
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--no-deps",
            "-q",
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    code = (
        "import gymnasium as gym, simreal\n"
        "from simreal.asset_paths import asset_path\n"
        "print(simreal.__file__)\n"
        "print(asset_path('push.xml'))\n"
        "gym.make('simreal/ReachPixels-v0').reset(seed=0)\n"
    )
    environ = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # no source tree
    result = subprocess.run(
        [str(python), "-c", code],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        env=environ,
    )
    assert result.returncode == 0, result.stderr
    package_file, push_xml = result.stdout.split()
    assert package_file.startswith(str(env_dir))
    assert push_xml.startswith(str(env_dir))
