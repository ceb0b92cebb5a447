"""The paper's hyperparameters (Premamayudu et al. 2019, section 4; the course code it prints).

Run it on the paper's images (about 100-300 s on a 2-core CPU, docs/reproduction.md):

    nst-tf --config=paper --content=../shared/paper/images/louvre_small.jpg \
        --style=../shared/paper/images/monet.jpg --output_dir=output/paper

Expected: "Iteration 0 :" total cost 4.89866e+09, content 7910.25, style 1.22464e+08 with the
registry weights; the paper prints 5.04752e+09, 7865.72, 1.26186e+08 with the official file (the
gap is the weights' quantization, docs/reproduction.md). A variant config imports this one and
overrides a few keys:

    from nst_tf.configs import paper

    def get_config():
        return {**paper.get_config(), "num_iterations": 400}
"""


def get_config() -> dict:
    return {
        # Inputs and outputs. The paper's images are louvre_small.jpg and monet.jpg (400x300).
        "content": None,  # path to the content image (--content)
        "style": None,  # path to the style image (--style)
        "output_dir": "output",  # intermediate <i>.png, trace.csv, generated_image.jpg
        # None: $NST_TF_HOME, else ./pretrained, else ~/.cache/nst_tf (nst_tf.weights.locate)
        "vgg_path": None,
        # Images: both are resized to width x height, then the RGB means are subtracted.
        "width": 400,
        "height": 300,
        "means": (123.68, 116.779, 103.939),
        # Network: VGG-19 with average pooling (the course's load_vgg_model).
        "pooling": "avg",
        # The objective's terms by name (nst_tf/objective/terms/): eq. 1 and eqs. 2-3, weighted
        # by alpha and beta below (eq. 4); total variation joins when tv_weight > 0, Luan et al.'s
        # photorealism term when photorealism_weight > 0.
        "terms": ("content", "style"),
        "content_layer": "conv4_2",  # or weighted layers, e.g. "conv4_2:1,conv5_2:0.5"
        "style_layers": (
            ("conv1_1", 0.2),
            ("conv2_1", 0.2),
            ("conv3_1", 0.2),
            ("conv4_1", 0.2),
            ("conv5_1", 0.2),
        ),
        # Eq. 4 weights and the optimizer: Adam(2.0) for 200 iterations.
        "alpha": 10.0,
        "beta": 40.0,
        "learning_rate": 2.0,
        "num_iterations": 200,
        "tv_weight": 0.0,  # total variation, off in the paper
        # Start: noise_ratio * uniform(-noise_range, noise_range) + (1 - noise_ratio) * content.
        "init": "noise",  # noise | content | random | a path to an image
        "noise_ratio": 0.6,
        "noise_range": 20.0,
        "seed": 0,
        # Costs logged and images saved every 20 iterations (iteration 0 after the first step).
        "log_every": 20,
        "save_every": 20,
        # Resumable runs: the image and Adam's state every 20 iterations, the last 3 kept.
        "checkpoint_every": 20,
        "keep_checkpoints": 3,
        "tensorboard": True,  # events in output_dir/tensorboard
        # Speed: float32 as in the paper; bfloat16 convs where the hardware has them; XLA.
        "precision": "float32",
        "jit": None,  # None: per device (off on CPUs, measured slower; on for TPUs)
        # Issue 9, the paper's controls (docs/controls.md), all off: the paper's run as printed.
        "image_size": None,  # long side, aspect kept; None: width x height above
        "style_scale": None,  # style long side / generated long side; None: forced to its size
        "style_blend_weights": None,  # for --style=a.jpg,b.jpg; None: equal weights
        "style_masks": None,  # one grayscale mask per style; None: every style everywhere
        "preserve_colors": "none",  # none | luminance | histogram
        "color_match": "pca",  # histogram matching's matrix square root: pca | chol | sym
        # Coarse to fine (issue 10b): off, the paper optimises at one size.
        "scales": None,  # e.g. (200, 400): long sides, the last the output size
        "scale_iterations": None,  # e.g. (150, 50); None: num_iterations at each scale
        # issue 10a: the optimizer by name (nst_tf/optim/registry.py); the paper's is Adam.
        "optimizer": "adam",
        "lbfgs_history": 10,  # --optimizer=lbfgs only: correction pairs kept
        "lbfgs_line_search": "strong_wolfe",  # or none (Torch's optim.lbfgs: fixed steps)
        "content_normalization": "paper",  # eq. 1 as printed; gatys2016: Gatys et al.'s 1/2
        # Issue 16: Li & Wand 2016's MRF term, off (configs/li_wand2016.py turns it on).
        "mrf_weight": 0.0,
        "mrf_layers": (("conv3_1", 1.0), ("conv4_1", 1.0)),
        "mrf_stride": 2,  # generated patches on a stride-2 grid (and a tail), as theirs
        "mrf_style_stride": 2,  # style patches likewise
        "mrf_rotations": 0,  # style copies rotated by i pi/24, i in [-n, n]
        "mrf_scales": 0,  # and scaled by 1.05^j, j in [-n, n]
        # Large images (issue 10b): None recomputes VGG blocks in backward only if memory needs it.
        "recompute": None,
        # Luan et al. 2017 (issue 16, configs/luan2017.py), off: no photorealism term, and the
        # style term is the whole image's (no segmentations).
        "photorealism_weight": 0.0,
        "content_segmentation": None,  # colour-coded PNG of the content's regions
        "style_segmentation": None,  # the style image's, matched by colour
        "smooth_local_affine": False,  # their post-process of the final image
    }
