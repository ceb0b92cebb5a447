"""The fastest measured route to the paper's quality that keeps its look: L-BFGS, bf16 if fast.

"The paper's quality" is the total cost (eq. 4, the paper's objective and start) that the
paper's Adam(2.0) reaches after 200 iterations, with at most 1.25x its content cost. On the
paper's images at 400x300, `scripts/benchmark.py --time_to_quality` timed every route to it in
one process (docs/performance.md#time-to-quality): L-BFGS reached it after 69 iterations in
bfloat16 (71 in float32), in 0.21x (0.39x) of Adam's time; 80 iterations leave a margin.
`precision: auto` picks bfloat16 convs only where the hardware runs them fast (AVX512_BF16/AMX
CPUs, GPUs, TPUs) and says so in the log and config.json.

Coarse to fine with L-BFGS (`scales: (200, 400)`, `scale_iterations: (50, 40)`) met both
conditions sooner still (0.16x), but its picture is another one: the SSIM of its layout with the
photograph is 0.55 against 0.78 for Adam's result and 0.74 for single-size L-BFGS (L-BFGS at
200 px repaints the pyramid faintly). So it is not the default here; add those two keys for it.

    nst-tf --config=fast --content=../shared/paper/images/louvre_small.jpg \\
        --style=../shared/paper/images/monet.jpg --output_dir=output/fast

Every other setting, the objective included, is the paper's (configs/paper.py).
"""

from nst_tf.configs import paper


def get_config() -> dict:
    return {
        **paper.get_config(),
        "optimizer": "lbfgs",
        "precision": "auto",
        "num_iterations": 80,
    }
