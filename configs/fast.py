"""The fastest measured route to the paper's quality: L-BFGS, coarse to fine, bf16 where it pays.

"The paper's quality" is the total cost (eq. 4, the paper's objective and start) that the
paper's Adam(2.0) reaches after 200 iterations. On the paper's images at 400x300,
`scripts/benchmark.py --time_to_quality` timed every route to it in one process
(docs/performance.md): L-BFGS with 50 iterations at 200 px then 400 px reached it after 84
iterations, the fastest route in both precisions. 40 iterations at 400 px leave a margin over
the 34 it took. `precision: auto` picks bfloat16 convs only where the hardware runs them fast
(AVX512_BF16/AMX CPUs, GPUs, TPUs) and says so in the log and config.json.

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
        "scales": (200, 400),
        "scale_iterations": (50, 40),
    }
