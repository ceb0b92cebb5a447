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


def test_working_size_is_the_papers_exact_size_unless_image_size_is_given():
    from nst_tf.images.sizes import working_size

    assert working_size((640, 480), 400, 300, None) == (400, 300)  # forced, as the paper
    assert working_size((640, 480), 400, 300, 400) == (400, 300)
    assert working_size((300, 400), 400, 300, 200) == (150, 200)  # portrait stays portrait


def test_style_size_follows_the_generated_long_side_times_the_scale():
    from nst_tf.images.sizes import style_size

    assert style_size((300, 300), (400, 300), None) == (400, 300)  # forced, as the paper
    assert style_size((300, 300), (400, 300), 1.0) == (400, 400)
    assert style_size((800, 600), (400, 300), 0.5) == (200, 150)
    assert style_size((600, 800), (200, 150), 2.0) == (300, 400)


def test_small_image_note_only_below_400_px_at_the_papers_balance():
    from nst_tf.images.sizes import small_image_note

    assert small_image_note(400, 300, 10.0, 40.0) is None  # the paper's run: no line
    assert small_image_note(300, 400, 10.0, 40.0) is None
    note = small_image_note(200, 150, 10.0, 40.0)
    assert (
        note.startswith("200x150 is smaller than the paper's 400x300") and "1e5 at 200 px" in note
    )
    assert small_image_note(200, 150, 0.0, 40.0) is not None  # no content term at all
    assert small_image_note(200, 150, 10.0, 400.0) is not None  # more style
    assert small_image_note(200, 150, 1e5, 40.0) is None  # the fix: content weighed
