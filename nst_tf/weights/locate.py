"""Where the VGG-19 weights and demo images live, for a clone and for a pip-installed package.

One rule serves both the run (`nst-tf`) and the fetch (`nst-tf-fetch`), so the fetch always
writes where the run will look. A clone keeps its `pretrained/` folder, as before; an installed
package has no such folder and uses a per-user cache, the way Keras (~/.keras) and PyTorch
(~/.cache/torch) keep downloaded weights out of the current folder.
"""

from __future__ import annotations

import os
import shlex

WEIGHTS_FILE = "imagenet-vgg-verydeep-19.mat"
HOME_ENV = "NST_TF_HOME"
REPOSITORY_HOME = "pretrained"
EXAMPLES_DIR = "examples"
TRAINING_PHOTOS_DIR = "training_photos"
FETCH_COMMAND = "nst-tf-fetch"


def home() -> str:
    """$NST_TF_HOME; else ./pretrained when it exists (a clone); else the user cache.

    The user cache is $XDG_CACHE_HOME/nst_tf, or ~/.cache/nst_tf when that variable is unset
    or empty (the XDG rule). ./pretrained stays relative, so a clone's paths read as before.
    """
    explicit = os.environ.get(HOME_ENV)
    if explicit:
        return os.path.expanduser(explicit)
    if os.path.isdir(REPOSITORY_HOME):
        return REPOSITORY_HOME
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return os.path.join(os.path.expanduser(cache), "nst_tf")


def default_vgg_path() -> str:
    return os.path.join(home(), WEIGHTS_FILE)


def default_examples_dir() -> str:
    return os.path.join(home(), EXAMPLES_DIR)


def training_photos_dir() -> str:
    """Where `nst-tf-fetch --training_photos` puts photos for nst-tf-train."""
    return os.path.join(home(), TRAINING_PHOTOS_DIR)


def resolve_vgg_path(explicit: str | None) -> str:
    """The weights a run reads: `--vgg_path` when given, else the default location."""
    return explicit if explicit else default_vgg_path()


def fetch_command(path: str) -> str:
    """The shell command that writes weights to `path`: `--out` only when it is not the default."""
    if os.path.abspath(path) == os.path.abspath(default_vgg_path()):
        return FETCH_COMMAND
    return f"{FETCH_COMMAND} --out={shlex.quote(path)}"


def fetch_hint(path: str) -> str:
    """A phrase for error messages: the exact command that puts VGG-19 weights at `path`."""
    return f"fetch the weights with `{fetch_command(path)}` (it writes {path})"
