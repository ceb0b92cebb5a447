"""Job discovery: folders, globs and lists paired every content x style; manifests; bad specs."""

from __future__ import annotations

import os

import pytest

from nst_tf.batch import jobs
from nst_tf.errors import UserError


def _touch(folder, *names):
    os.makedirs(folder, exist_ok=True)
    for name in names:
        (folder / name).write_bytes(b"")
    return folder


def test_folders_globs_and_lists_pair_every_content_with_every_style(tmp_path):
    photos = _touch(tmp_path / "photos", "b.jpg", "a.png", ".hidden.jpg")
    os.makedirs(photos / "sub")
    styles = _touch(tmp_path / "styles", "monet.jpg", "van gogh.jpg", "notes.txt")
    found = jobs.discover(
        f"{photos},{tmp_path}/extra.jpg", f"{styles}/*.jpg", None, str(tmp_path / "out")
    )
    assert [job.name for job in found] == [
        "a__monet", "a__van gogh", "b__monet", "b__van gogh", "extra__monet", "extra__van gogh",
    ]  # fmt: skip
    assert found[0].content == str(photos / "a.png")
    assert found[0].style == str(styles / "monet.jpg")
    assert found[0].output_dir == str(tmp_path / "out" / "a__monet")
    assert found[4].content == f"{tmp_path}/extra.jpg"  # missing: reported by its job, later


def test_manifest_rows_header_comments_and_output_names(tmp_path):
    manifest = tmp_path / "lists" / "jobs.csv"
    os.makedirs(manifest.parent)
    manifest.write_text(
        f"content,style,output\n# a comment\na.jpg,s.jpg\n\n{tmp_path}/b.jpg, s.jpg , mine\n"
    )
    found = jobs.discover(None, None, str(manifest), "out")
    assert [(job.name, job.output_dir) for job in found] == [
        ("a__s", os.path.join("out", "a__s")),
        ("mine", os.path.join("out", "mine")),
    ]
    assert found[0].content == str(manifest.parent / "a.jpg")  # relative to the manifest
    assert found[1].content == f"{tmp_path}/b.jpg" and found[1].style == str(
        manifest.parent / "s.jpg"
    )


@pytest.mark.parametrize(
    "contents, styles, manifest_text, expected",
    [
        ("{empty}", "{tmp}/s.jpg", None, "folder {empty} holds no files"),
        ("{tmp}/a.jpg", "{tmp}/*.png", None, "--styles pattern {tmp}/*.png matches no file"),
        ("{tmp}/a.jpg", None, None, "pass --contents and --styles"),
        ("{tmp}/a.jpg", " , ", None, "--styles is empty"),
        ("{tmp}/a.jpg,{tmp}/x/a.png", "{tmp}/s.jpg", None, "would both write to"),
        (None, None, "a.jpg\n", "line 1 is not `content,style[,output]`"),
        (None, None, "content,style\n", "lists no jobs"),
        (None, None, "a.jpg,s.jpg,same\nb.jpg,t.jpg,same\n", "would both write to"),
        ("{tmp}/a.jpg", None, "a.jpg,s.jpg\n", "either --manifest or --contents"),
    ],
)
def test_bad_specs_are_one_line_user_errors(contents, styles, manifest_text, expected, tmp_path):
    empty = tmp_path / "empty"
    os.makedirs(empty)
    values = {"tmp": tmp_path, "empty": empty}
    manifest = None
    if manifest_text is not None:
        manifest = tmp_path / "jobs.csv"
        manifest.write_text(manifest_text)
    with pytest.raises(UserError) as error:
        jobs.discover(
            contents and contents.format(**values),
            styles and styles.format(**values),
            manifest and str(manifest),
            str(tmp_path / "out"),
        )
    assert expected.format(**values) in str(error.value) and "\n" not in str(error.value)
