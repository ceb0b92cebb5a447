"""The published recipe for the network, for a GPU: Dumoulin, Shlens, Kudlur (2017), "A Learned
Representation for Artistic Style", section 3 and magenta's image_stylization_train.py.

256x256 crops, batch 16, 40,000 Adam steps at 1e-3, the full-width network (32-64-128 channels),
ImageNet-like photos resized to a short side of 256 (magenta resizes to 258 and crops 256).
The loss is configs/network.py's (the paper's terms on this project's VGG-19, beta 0.01), not
magenta's VGG-16 one; the balance was chosen at CPU step counts and may want retuning here.
The references report hours to a day on one GPU (docs/network.md: the time per step measured
here, and an estimate for a current GPU).

    nst-tf-train --config=network_dumoulin --styles=a.jpg,b.jpg,c.jpg \\
        --train_images=/data/coco/train2014 --output_dir=output/network
"""

from nst_tf.configs import network

COMMAND = "nst-tf-train"


def get_config() -> dict:
    return {
        **network.get_config(),
        "image_size": 256,
        "photo_size": 256,
        "style_size": 256,
        "batch_size": 16,
        "num_steps": 40_000,
        "width": 1.0,
        "preview_every": 500,
        "checkpoint_every": 500,
    }
