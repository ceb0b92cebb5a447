"""Where weights live: $NST_TF_HOME, ./pretrained, the user cache, and the hint naming the fetch."""

from __future__ import annotations

import os

import pytest

from nst_tf import stylize
from nst_tf.errors import UserError
from nst_tf.weights import locate
from tests.helpers import paper_config


@pytest.fixture
def bare(tmp_path, monkeypatch):
    """A current folder without pretrained/, no NST_TF_HOME, and a fake home folder."""
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    monkeypatch.delenv("NST_TF_HOME", raising=False)
    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "user"))
    return tmp_path


def test_the_user_cache_is_the_last_resort(bare, monkeypatch):
    assert locate.home() == str(bare / "user" / ".cache" / "nst_tf")
    monkeypatch.setenv("XDG_CACHE_HOME", "")  # empty counts as unset, as XDG says
    assert locate.home() == str(bare / "user" / ".cache" / "nst_tf")
    monkeypatch.setenv("XDG_CACHE_HOME", str(bare / "xdg"))
    assert locate.home() == str(bare / "xdg" / "nst_tf")


def test_a_clone_keeps_its_pretrained_folder(bare, monkeypatch):
    os.mkdir("pretrained")
    assert locate.home() == "pretrained"
    assert locate.default_vgg_path() == os.path.join("pretrained", "imagenet-vgg-verydeep-19.mat")
    assert locate.default_examples_dir() == os.path.join("pretrained", "examples")


def test_nst_tf_home_wins_over_everything(bare, monkeypatch):
    os.mkdir("pretrained")
    monkeypatch.setenv("XDG_CACHE_HOME", str(bare / "xdg"))
    monkeypatch.setenv("NST_TF_HOME", "~/weights")
    assert locate.home() == str(bare / "user" / "weights")
    assert locate.default_vgg_path() == str(bare / "user" / "weights" / locate.WEIGHTS_FILE)


def test_an_explicit_path_wins_and_empty_means_unset(bare):
    assert locate.resolve_vgg_path("mine.mat") == "mine.mat"
    assert locate.resolve_vgg_path(None) == locate.default_vgg_path()
    assert locate.resolve_vgg_path("") == locate.default_vgg_path()


def test_the_hint_names_the_command_that_writes_that_path(bare, monkeypatch):
    default = locate.default_vgg_path()
    assert locate.fetch_hint(default) == (
        f"fetch the weights with `nst-tf-fetch` (it writes {default})"
    )
    (bare / "user").mkdir()
    monkeypatch.chdir(bare / "user")  # a relative spelling of the default is still the default
    assert locate.fetch_command(os.path.join(".cache", "nst_tf", locate.WEIGHTS_FILE)) == (
        "nst-tf-fetch"
    )
    assert locate.fetch_command("other.mat") == "nst-tf-fetch --out=other.mat"
    assert locate.fetch_command("my weights/vgg.mat") == "nst-tf-fetch --out='my weights/vgg.mat'"


def test_a_run_without_vgg_path_reads_the_default_location(
    bare, monkeypatch, tiny_vgg_path, tiny_images
):
    content, style = tiny_images
    monkeypatch.setenv("NST_TF_HOME", str(bare / "home"))
    settings = dict(content=content, style=style, width=40, height=30, num_iterations=1)
    config = paper_config(**settings, output_dir=str(bare / "out"))
    assert config.vgg_path is None
    expected = str(bare / "home" / locate.WEIGHTS_FILE)
    with pytest.raises(UserError) as info:
        stylize.stylize(config)
    assert str(info.value) == (
        f"VGG-19 weights not found at {expected}: fetch the weights with `nst-tf-fetch` "
        f"(it writes {expected})"
    )

    os.mkdir(bare / "home")
    os.link(tiny_vgg_path, expected)
    result = stylize.stylize(config)
    assert result.image.shape == (30, 40, 3)
