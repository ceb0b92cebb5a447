"""Luan et al. 2017 (Deep Photo Style Transfer), first stage: their `neuralstyle_seg.lua`.

The cost of configs/luan2017.py without the photorealism term: content, their segmented style
loss and total variation (neuralstyle_seg.lua L26-28, L45-46, the same weights), from a
near-constant start, `torch.randn(...):mul(0.0001)` on the mean-subtracted image (L183): here
init "random", uniform(-1e-4, 1e-4) around the mean colour. Its result is the start of the
second stage (configs/luan2017.py, which gives the two commands), as gen_all.py L19-21 runs
them; they save it as an 8-bit PNG, here generated_image.jpg (quality 95) serves.

    nst-tf --config=luan2017_stage1 --content=../shared/paper/images/louvre_small.jpg \\
        --style=../shared/paper/images/monet.jpg --output_dir=output/luan2017_stage1
"""

from nst_tf.configs import luan2017


def get_config() -> dict:
    return {
        **luan2017.get_config(),
        "photorealism_weight": 0.0,
        "init": "random",
        "noise_range": 1e-4,
        "smooth_local_affine": False,  # their first stage saves the optimised image itself
    }
