"""Luan, Paris, Shechtman, Bala, "Deep Photo Style Transfer", CVPR 2017: its second stage.

The method the paper's Figure 6 compares with, from their released code
(luanfujun/deep-photo-styletransfer at 4801fa2; `deepmatting_seg.lua` is the stage with the
photorealism term, `neuralstyle_seg.lua` the first stage, configs/luan2017_stage1.py):

- content on relu4_2 (-content_layers, L55; our `conv4_2` is the ReLU's output), weight 5 on
  the mean squared error over C H W (-content_weight, L27; `ContentLoss`): eq. 1 divides the
  sum by 4 C H W, so alpha = 4 x 5 = 20 means the same;
- style on relu1_1 ... relu5_1 (L56), weight Gamma = 1e2 on every layer (-style_weight, L28; no
  1/5), Grams over C H W compared by mean squared error (`StyleLossWithSeg`): that is eq. 2 x
  4 / C_l^2, so lambda_l = 4 / C_l^2 with beta = 1e2 means the same. With segmentations
  (--content_segmentation, --style_segmentation) the style cost is theirs per class
  (nst_tf/objective/regions.py);
- total variation 1e-3 (-tv_weight, L29), the energy of their TVLoss (nst_tf/objective/terms/tv.py);
- the photorealism term lambda = 1e4 (-lambda, L33) with their matting Laplacian (eps 1e-7, 3x3
  windows; nst_tf/objective/terms/photorealism.py);
- VGG-19 with max pooling (the Caffe model loadcaffe reads, L114), the Caffe means;
- L-BFGS (`optim.lbfgs`, L280);
- their post-process of the result, a bilaterally smoothed local affine refit to the input
  (`SmoothLocalAffine`, L255-258; radius 15, edge 0.01 as gen_all.py L21 passes them).

Their two stages: stage 1 (neuralstyle_seg.lua) optimises the same cost without lambda from a
near-constant start; stage 2 (this config) starts from stage 1's image, as gen_all.py L19-21 runs
them. Here that is two commands, stage 1 into its folder, stage 2 from its result:

    nst-tf --config=luan2017_stage1 --content=photo.jpg --style=reference.jpg \\
        --content_segmentation=photo_seg.png --style_segmentation=reference_seg.png \\
        --output_dir=out/stage1
    nst-tf --config=luan2017 --content=photo.jpg --style=reference.jpg \\
        --content_segmentation=photo_seg.png --style_segmentation=reference_seg.png \\
        --init=out/stage1/generated_image.jpg --output_dir=out/stage2

Alone, this config starts from the content image (init "content"): one command, and the
photorealism term then starts near zero, since the content is an affine function of itself.

Sizes and iterations are cut for a CPU: theirs are a 700 px long side (gen_laplacian.m L11) and
1000 + 1000 iterations (gen_all.py) on a GPU; here 400 px and 200 (a 400x300 step with the
photorealism term costs about as much as one without, docs/performance.md), e.g.
`--image_size=700 --num_iterations=1000` for theirs.

Their L-BFGS is Torch's `optim.lbfgs` with its defaults (100 correction pairs, no line
search, unit steps after a first of min(1, 1/|g|_1); deepmatting_seg.lua L280): lbfgs_history
100 and lbfgs_line_search none here, its steps clipped to the pixel box [0, 255] (theirs are
not bounded). Not reproduced: their
network image is 256 x the pixel (here 255: every feature 0.4% smaller). Their segmentation
masks are carried through the network as theirs are (a 3x3 mean after every conv, a halving at
every pool), but their gradient leaves out the mask's own factor at soft mask edges
(deepmatting_seg.lua L535-545); here the gradient is the cost's exact one. Their post-process
(`SmoothLocalAffine`, smooth_local_affine here, nst_tf/images/local_affine.py) is applied to
the final image only, not at every snapshot as they save.

    nst-tf --config=luan2017 --content=../shared/paper/images/louvre_small.jpg \\
        --style=../shared/paper/images/monet.jpg --output_dir=output/luan2017
"""

from nst_tf.configs import paper
from nst_tf.model.vgg import VGG19_CHANNELS


def get_config() -> dict:
    return {
        **paper.get_config(),
        "image_size": 400,  # long side, the content's aspect kept (theirs 700)
        "pooling": "max",
        "content_layer": "conv4_2",
        "content_normalization": "paper",
        "alpha": 4 * 5.0,
        "style_layers": tuple(
            (f"conv{block}_1", 4.0 / VGG19_CHANNELS[block] ** 2) for block in range(1, 6)
        ),
        "beta": 1e2,
        "tv_weight": 1e-3,
        "photorealism_weight": 1e4,
        "optimizer": "lbfgs",
        "lbfgs_history": 100,
        "lbfgs_line_search": "none",
        "init": "content",
        "num_iterations": 200,
        "smooth_local_affine": True,
    }
