import pytest

from nst_tf.images.sizes import fit_long_side


@pytest.mark.parametrize(
    ("size", "long_side", "expected"),
    [
        ((400, 300), 400, (400, 300)),
        ((400, 300), 200, (200, 150)),
        ((300, 400), 200, (150, 200)),
        ((1000, 1), 10, (10, 1)),
        ((640, 427), 512, (512, 342)),
        ((50, 50), 2048, (2048, 2048)),
    ],
)
def test_fit_long_side_keeps_aspect(size, long_side, expected):
    assert fit_long_side(*size, long_side) == expected


def test_fit_long_side_rejects_non_positive():
    with pytest.raises(ValueError, match="positive"):
        fit_long_side(400, 300, 0)
