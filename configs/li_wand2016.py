"""Li & Wand, "Combining Markov Random Fields and Convolutional Neural Networks for Image
Synthesis", CVPR 2016 (CNNMRF): the method the paper's Figure 6 cites as "Liao et al." [7].

Every value is their released code's (chuanli11/CNNMRF at fddcf4d), the first parameter row
of `run_trans.lua` (L66, their style-transfer example) with the defaults of
`transfer_CNNMRF_wrapper.lua`; loadcaffe's layer indices 12, 21, 23 are relu3_1, relu4_1,
relu4_2, our conv3_1, conv4_1, conv4_2 (our extractor's conv outputs are the ReLU's):

- MRF term (nst_tf/objective/terms/mrf.py) on relu3_1 and relu4_1, weight 1e-4 each
  (mrf_layers {12, 21}, mrf_weight {1e-4, 1e-4}); 3x3 patches, the generated image's and the
  style's each on a stride-2 grid with a tail (mrf_synthesis_stride, mrf_sample_stride {2, 2});
  every match kept (mrf_confidence_threshold 0: cosines of ReLU features are never negative);
- style copies: 3 rotations (i pi/24, i = -1, 0, 1) x 3 scales (1.05^j), 9 in all
  (mrf_num_rotation = mrf_num_scale = 1; nst_tf/images/augment.py);
- content on relu4_2 (content_layers {23}), weight 2e1 on Torch's MSE, the mean over C H W
  (`mylib/content.lua`): content_normalization "mean", alpha 20;
- TV 1e-3 (tv_weight; `mylib/tv.lua` applies the gradient of 1/2 sum(dx^2 + dy^2), our tv
  term's energy). Their pixels are BGR x 256 minus the means, ours RGB x 255: the same picture
  is 256/255 times larger there, which multiplies every term (content, MRF and TV are all
  squares of features or pixels that scale with it, VGG's biases aside) by the same
  (256/255)^2, so their 1e-3 is our 1e-3;
- no Gram style term; VGG-19 with max pooling (their Caffe model);
- coarse to fine in 3 levels that halve the long side, 100 iterations each (num_res 3,
  num_iter {100, 100, 100}), the style resized with the content to the same long side at
  every level (style_scale 1), targets and style patches rebuilt per level;
- L-BFGS from the content image (ini_method 'image'), its history restarted per level, as
  their own L-BFGS runs (`mylib/myoptimizer.lua`, wrapper L393-399): 25 correction pairs, no
  line search, step 1 and a first step of min(1, 1/|g|_1) (lbfgs_history 25,
  lbfgs_line_search none; the line search's own failures on this energy are gone with it).

    nst-tf --config=li_wand2016 --content=../shared/paper/images/louvre_small.jpg \\
        --style=../shared/paper/images/monet.jpg --output_dir=output/li_wand2016

On the paper's pair with the registry weights, two runs on 2 CPU cores shared with a load of
7-16: 740 s and 569 s wall (280-290 s of CPU time), peak 2.3 and 2.1 GiB; total cost 3.05e6 at
iteration 0 (100 px), 1.22e7 and 1.30e7 at 299 (400 px). A step costs about 2.3x the VGG pass
alone at 400x300, most of it matching at relu3_1 (docs/performance.md, "MRF term");
--mrf_rotations=0 --mrf_scales=0 matches 9x fewer style patches.

Not reproduced:
- Size: their max_size is 384 (levels 96, 192, 384); here the levels are 100, 200, 400 so the
  result has the size of the other methods of Figure 6 (--scales=96,192,384 gives theirs).
- Optimizer: their fixed steps are taken here too, but inside the pixel box [0, 255] (a step
  leaving it is clipped). With a line search (lbfgs_line_search strong_wolfe, 10 pairs) the
  energy's jumps where a patch's match switches (matches follow the cosine, the energy the
  squared distance) made the search fail: of two such runs one ran all 100 iterations at
  400 px, the other stopped after 40 there (total cost 1.30e7 against 1.22e7). The measured
  runs above used that line search.
- Upsampling between levels: theirs bilinear, here bicubic (nst_tf/stylize.py).
- Matching: their score divides by both patch norms; here only by the style patch's norm,
  which gives the same argmax (the generated patch's norm is one factor for all candidates).
- A zero generated patch (rare at relu3_1 and relu4_1): their 0/0 score drops it; here every
  score is 0 and it goes to the first style patch.
- The energy: theirs has no value (a loss of 0 reaches their optimizer); here it is the one
  whose gradient theirs applies (mrf.py), so L-BFGS can line-search it.
"""

from nst_tf.configs import paper


def get_config() -> dict:
    return {
        **paper.get_config(),
        "terms": ("content", "mrf", "tv"),
        "content_layer": "conv4_2",
        "content_normalization": "mean",
        "alpha": 20.0,
        "mrf_weight": 1e-4,
        "mrf_layers": (("conv3_1", 1.0), ("conv4_1", 1.0)),
        "mrf_stride": 2,
        "mrf_style_stride": 2,
        "mrf_rotations": 1,
        "mrf_scales": 1,
        "tv_weight": 1e-3,
        "pooling": "max",
        "init": "content",
        "optimizer": "lbfgs",
        "lbfgs_history": 25,
        "lbfgs_line_search": "none",
        "scales": (100, 200, 400),
        "num_iterations": 100,  # at each level
        "style_scale": 1.0,
    }
