"""The memory estimate and the refusal of sizes that do not fit."""

from __future__ import annotations

import re

import pytest

from nst_tf.errors import UserError
from nst_tf.model import vgg
from nst_tf.runtime import memory

PAPER_LAYERS = ["conv4_2", *(f"conv{block}_1" for block in range(1, 6))]


def _activation_bytes(width, height):
    # At 0x0 only the runtime and the kernels remain; Adam's state is in the per-pixel part.
    fixed = memory.estimate_peak_bytes(0, 0, PAPER_LAYERS)
    return memory.estimate_peak_bytes(width, height, PAPER_LAYERS) - fixed


def _state_bytes(width, height, optimizer="adam"):
    """The optimizer's image-sized float32 arrays."""
    return memory.optimizer_images(optimizer) * width * height * 3 * 4


def test_estimate_grows_linearly_in_pixels():
    small, big = _activation_bytes(400, 300), _activation_bytes(800, 600)
    assert small > 0
    assert big / small == pytest.approx(4.0, rel=0.02)
    # conv1_1 alone at 400x300: 120000 positions x 64 channels x 4 bytes x the factor.
    one_layer = memory.estimate_peak_bytes(400, 300, ["conv1_1"])
    assert one_layer - memory.estimate_peak_bytes(0, 0, ["conv1_1"]) == pytest.approx(
        memory.ACTIVATION_FACTOR * 400 * 300 * 64 * 4 + _state_bytes(400, 300), abs=1
    )
    # Down to conv5_1 with SAME pooling: 400x300 -> 200x150 -> 100x75 -> 50x38 -> 25x19.
    elements = (
        2 * 400 * 300 * 64  # conv1_1, conv1_2
        + 200 * 150 * 64  # pool1
        + 2 * 200 * 150 * 128  # conv2_1, conv2_2
        + 100 * 75 * 128  # pool2
        + 4 * 100 * 75 * 256  # conv3_1 .. conv3_4
        + 50 * 38 * 256  # pool3
        + 4 * 50 * 38 * 512  # conv4_1 .. conv4_4
        + 25 * 19 * 512  # pool4
        + 25 * 19 * 512  # conv5_1
    )
    assert small == pytest.approx(
        memory.ACTIVATION_FACTOR * 4 * elements + _state_bytes(400, 300), abs=1
    )
    # The deepest layer sets the depth: conv5_1 needs more than conv4_2 alone.
    assert memory.estimate_peak_bytes(400, 300, PAPER_LAYERS) > (
        memory.estimate_peak_bytes(400, 300, ["conv4_2"])
    )


def test_check_fits_passes_with_enough_memory(monkeypatch):
    monkeypatch.setattr(memory, "available_bytes", lambda: 64 * 2**30)
    needed = memory.check_fits(400, 300, PAPER_LAYERS)
    assert needed == memory.estimate_peak_bytes(400, 300, PAPER_LAYERS)


def test_check_fits_suggests_smaller_size(monkeypatch):
    available = 2 * 2**30
    monkeypatch.setattr(memory, "available_bytes", lambda: available)
    assert memory.estimate_peak_bytes(4000, 3000, PAPER_LAYERS) > available
    with pytest.raises(UserError) as info:
        memory.check_fits(4000, 3000, PAPER_LAYERS)
    message = str(info.value)
    assert "\n" not in message
    assert "4000x3000" in message
    width = int(message.split("--width=")[1].split()[0])
    height = int(message.split("--height=")[1].split()[0])
    assert 0 < width < 4000 and 0 < height < 3000
    assert width / height == pytest.approx(4 / 3, rel=0.02)
    assert memory.estimate_peak_bytes(width, height, PAPER_LAYERS) <= available


@pytest.mark.parametrize(
    ("size_flag", "pattern"),
    [
        ("--image_size", r"; try --image_size=(\d+)$"),
        ("--scales", r"; try --scales ending at (\d+)$"),
    ],
)
def test_the_smaller_size_is_said_with_the_size_flag_in_use(monkeypatch, size_flag, pattern):
    available = 2 * 2**30
    monkeypatch.setattr(memory, "available_bytes", lambda: available)
    with pytest.raises(UserError) as info:
        memory.choose_recompute(4000, 3000, PAPER_LAYERS, requested=False, size_flag=size_flag)
    long_side = int(re.search(pattern, str(info.value)).group(1))
    assert memory.estimate_peak_bytes(long_side, long_side * 3 // 4, PAPER_LAYERS) <= available


def test_memory_layer_sizes_use_vgg_names():
    # Every layer the estimate walks is a real VGG-19 layer, down to the deepest asked.
    names = [name for name, _ in memory._layer_sizes(10, 10, "conv4_2")]
    assert names[-1] == "conv4_2"
    assert all(name in vgg.VGG19_LAYERS for name in names)


def test_batch_capacity_counts_the_runtime_once(monkeypatch):
    one = memory.estimate_peak_bytes(400, 300, PAPER_LAYERS)
    per_image = _activation_bytes(400, 300)
    for available, expected in [(one - 1, 1), (one + 3 * per_image, 4), (100 * one, 8)]:
        monkeypatch.setattr(memory, "available_bytes", lambda value=available: value)
        assert memory.batch_capacity(400, 300, PAPER_LAYERS, 8) == expected


def test_recomputing_blocks_keeps_less_than_the_plain_step():
    plain = memory.estimate_peak_bytes(4096, 3072, PAPER_LAYERS)
    recomputed = memory.estimate_peak_bytes(4096, 3072, PAPER_LAYERS, recompute=True)
    assert recomputed < plain
    # Kept: the pools and the six layers the losses read; rerun: block 1 (conv1_1, 1_2, pool1).
    w, h = 400, 300
    kept = (
        w * h * 64  # conv1_1
        + 200 * 150 * (64 + 128)  # pool1, conv2_1
        + 100 * 75 * (128 + 256)  # pool2, conv3_1
        + 50 * 38 * (256 + 2 * 512)  # pool3, conv4_1, conv4_2
        + 25 * 19 * (512 + 512)  # pool4, conv5_1
    )
    block1 = 2 * w * h * 64 + 200 * 150 * 64
    fixed = memory.estimate_peak_bytes(0, 0, PAPER_LAYERS, recompute=True)
    assert memory.estimate_peak_bytes(w, h, PAPER_LAYERS, recompute=True) - fixed == (
        pytest.approx(
            4 * (memory.KEPT_FACTOR * kept + memory.BLOCK_FACTOR * block1) + _state_bytes(w, h),
            abs=1,
        )
    )


def test_recompute_is_chosen_only_when_the_plain_step_does_not_fit(monkeypatch):
    plain = memory.estimate_peak_bytes(2048, 1536, PAPER_LAYERS)
    recomputed = memory.estimate_peak_bytes(2048, 1536, PAPER_LAYERS, recompute=True)
    monkeypatch.setattr(memory, "available_bytes", lambda: plain + 1)
    assert memory.choose_recompute(2048, 1536, PAPER_LAYERS) is False
    assert memory.choose_recompute(2048, 1536, PAPER_LAYERS, requested=True) is True
    monkeypatch.setattr(memory, "available_bytes", lambda: (plain + recomputed) // 2)
    assert memory.choose_recompute(2048, 1536, PAPER_LAYERS) is True
    with pytest.raises(UserError, match="2048x1536 image needs about"):
        memory.choose_recompute(2048, 1536, PAPER_LAYERS, requested=False)
    monkeypatch.setattr(memory, "available_bytes", lambda: recomputed - 1)
    with pytest.raises(UserError, match="2048x1536 image needs about"):
        memory.choose_recompute(2048, 1536, PAPER_LAYERS)


def test_every_optimizer_has_its_state_in_the_estimate(monkeypatch):
    from nst_tf.optim import lbfgs, registry

    for name in registry.OPTIMIZERS:
        assert memory.optimizer_images(name) >= memory.ADAM_IMAGES
    assert memory.optimizer_images("lbfgs", history=25) == memory.optimizer_images("lbfgs") + 30
    assert memory.optimizer_images("lbfgs") >= 2 * lbfgs.HISTORY  # its (s, y) pairs at least
    adam = memory.estimate_peak_bytes(1024, 768, PAPER_LAYERS)
    assert memory.estimate_peak_bytes(1024, 768, PAPER_LAYERS, optimizer="adam") == adam
    with_lbfgs = memory.estimate_peak_bytes(1024, 768, PAPER_LAYERS, optimizer="lbfgs")
    assert with_lbfgs - adam == _state_bytes(1024, 768, "lbfgs") - _state_bytes(1024, 768)
    # Just short of L-BFGS's plain step: Adam's fits as it is, L-BFGS's with recomputed blocks.
    monkeypatch.setattr(memory, "available_bytes", lambda: with_lbfgs - 1)
    assert memory.choose_recompute(1024, 768, PAPER_LAYERS) is False
    assert memory.choose_recompute(1024, 768, PAPER_LAYERS, optimizer="lbfgs") is True
