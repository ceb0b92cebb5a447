"""The fastest measured route to the paper's quality that keeps its look: L-BFGS, bf16 if fast.

"The paper's quality" is the total cost (eq. 4, the paper's objective and start) that the
paper's Adam(2.0) reaches after 200 iterations. On the paper's images at 400x300,
`scripts/benchmark.py --time_to_quality` timed every route to it in one process
(docs/performance.md#time-to-quality): L-BFGS reached it after 70 iterations in bfloat16 (73 in
float32), in 0.32x (0.55x) of Adam's time; 80 iterations leave a margin. `precision: auto`
picks bfloat16 convs only where the hardware runs them fast (AVX512_BF16/AMX CPUs, GPUs, TPUs)
and says so in the log and config.json.

Coarse to fine with L-BFGS (`scales: (200, 400)`, `scale_iterations: (50, 40)`) reached the
cost sooner still (0.23x), but its image loses the photograph's layout: the paper's weights
make content about 1/500 of the cost, and L-BFGS at 200 px repaints it. So it is not the
default here; add those two keys for it.

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
