"""Gatys, Ecker, Bethge, "Image Style Transfer Using Convolutional Neural Networks", CVPR 2016.

The method the paper's Figure 6 compares with, as their paper states it, on the same VGG-19:

- L-BFGS (their section 2.3 and footnote: "we found that L-BFGS works best");
- a white-noise start (section 2.3; section 4.3 discusses other starts): init "random";
- content on conv4_2, style on conv1_1, conv2_1, conv3_1, conv4_1, conv5_1 with equal weights
  w_l = 1/5 (Figure 3's settings);
- their normalisations: eq. 1 L_content = 1/2 sum (F - P)^2 (content_normalization
  "gatys2016"), eq. 4 E_l = 1/(4 N_l^2 M_l^2) sum (G - A)^2, the same as the paper's eq. 2;
- alpha/beta = 1e-3 (their Figure 3 B): alpha 1, beta 1000;
- average pooling (section 2: it "improves the gradient flow").

Not reproduced: they rescaled VGG-19's weights so that every filter's mean activation over
images and positions is one; that needs their image set, so the raw MatConvNet weights are
used and the alpha/beta ratio balances the terms somewhat differently than in their figures.
The noise amplitude is not given in their paper: uniform(-20, 20) around the mean colour, as
the paper's own noise. Nor is an iteration count: 200 here, the paper's own budget, so Figure 6
compares equal iteration counts (an L-BFGS iteration costs one or a few cost+gradient passes,
an Adam update one; the trace's `evaluations` column counts them).

    nst-tf --config=gatys2016 --content=../shared/paper/images/louvre_small.jpg \\
        --style=../shared/paper/images/monet.jpg --output_dir=output/gatys2016
"""

from nst_tf.configs import paper


def get_config() -> dict:
    return {
        **paper.get_config(),
        "optimizer": "lbfgs",
        "init": "random",
        "content_layer": "conv4_2",
        "style_layers": tuple((f"conv{block}_1", 0.2) for block in range(1, 6)),
        "content_normalization": "gatys2016",
        "alpha": 1.0,
        "beta": 1000.0,
        "pooling": "avg",
        "num_iterations": 200,
    }
