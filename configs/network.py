"""The paper's style transfer network (section 4): one feed-forward network for many styles,
trained with the paper's loss, sized for a CPU.

The loss is the paper's objective (configs/paper.py): eq. 1 at conv4_2 and eqs. 2-3 at
conv1_1 ... conv5_1 (lambda 0.2 each) on the MatConvNet VGG-19 with average pooling,
alpha = 10, plus a little total variation (Johnson et al. 2016 use tv; the paper's
optimisation has none; at 1e-4 it is a light prior, about 0.1% of the loss). beta is 0.01, not
the paper's 40: the paper's optimisation keeps the photo's layout because it starts from the
photo and stops after 200 steps, but a network must learn the layout from the content term, and
with beta = 40 (style over 10,000 times content) it painted texture only; with 0.01 it kept the
layout after 400 steps (docs/network.md, figures/network_balance.jpg); --beta=40 is the
paper's. The network and the training recipe follow Johnson et al. (2016) and Dumoulin et al.
(2017): Adam 1e-3, square random crops, one random style per photo. The CPU sizes here (a
half-width network, 128 px crops, batch 4) make a demo, not a finished network;
`network_dumoulin` is the published recipe for a GPU.

    nst-tf-train --config=network --styles=a.jpg,b.jpg --train_images=photos/ \\
        --output_dir=output/network
    nst-tf-apply --model=output/network --content=photo.jpg --output_dir=out --style_weights=1,0

Override any key with its flag, or in a variant:

    from nst_tf.configs import network

    def get_config():
        return {**network.get_config(), "num_steps": 4000}
"""

from nst_tf.configs import paper

COMMAND = "nst-tf-train"
PAPER = paper.get_config()
PAPER_LOSS = (
    "means",
    "pooling",
    "terms",
    "content_layer",
    "style_layers",
    "alpha",
    "content_normalization",
)


def get_config() -> dict:
    return {
        "styles": None,  # comma-separated style images (--styles)
        "train_images": None,  # folder or glob of photos (--train_images)
        "output_dir": "output/network",
        "vgg_path": None,  # None: as nst-tf finds it (nst_tf.weights.locate)
        "finetune_from": None,
        # Data: square crops of photos kept at a short side of photo_size.
        "image_size": 128,
        "photo_size": 192,
        "style_size": 256,
        "batch_size": 4,
        "num_steps": 2000,
        "learning_rate": 1e-3,
        "width": 0.5,
        "seed": 0,
        "preview_image": None,
        # The paper's loss (configs/paper.py) with another beta, plus total variation.
        **{key: PAPER[key] for key in PAPER_LOSS},
        "beta": 0.01,  # the paper's 40 makes the network paint texture only (docstring)
        "tv_weight": 1e-4,
        # Outputs.
        "log_every": 20,
        "preview_every": 200,
        "checkpoint_every": 100,
        "keep_checkpoints": 3,
        "tensorboard": True,
        "precision": "auto",
    }
