"""nst_tf: Premamayudu et al. (2019) neural style transfer on VGG-19, in TensorFlow 2."""

__version__ = "0.2.0"
