"""The legacy torch.save reader on files written here, without torch, and on hostile pickles."""

from __future__ import annotations

import collections
import dataclasses
import io
import os
import pickle
import sys
import types
from unittest import mock

import numpy as np
import pytest

from nst_tf.weights.torch_legacy import (
    MAGIC_NUMBER,
    PROTOCOL_VERSION,
    STORAGE_DTYPES,
    TorchLegacyError,
    load_legacy_state_dict,
)

SYS_INFO = {"protocol_version": 1001, "little_endian": True, "type_sizes": {"int": 4}}


def _rebuild_tensor_v2(*args):
    raise AssertionError("only ever pickled by name, never called")


_FAKE_TORCH = types.ModuleType("torch")
_FAKE_TORCH_UTILS = types.ModuleType("torch._utils")
_rebuild_tensor_v2.__module__ = "torch._utils"
_FAKE_TORCH_UTILS._rebuild_tensor_v2 = _rebuild_tensor_v2
for _name in STORAGE_DTYPES:
    setattr(_FAKE_TORCH, _name, type(_name, (), {"__module__": "torch"}))


@dataclasses.dataclass(eq=False)
class FakeStorage:
    """A storage: its class name picks the element type, `elements` are written raw."""

    key: str
    kind: str
    elements: np.ndarray


@dataclasses.dataclass(eq=False)
class FakeTensor:
    storage: FakeStorage
    offset: int
    size: tuple[int, ...]
    stride: tuple[int, ...]

    def __reduce__(self):
        args = (self.storage, self.offset, self.size, self.stride, False, collections.OrderedDict())
        return _rebuild_tensor_v2, args


def tensor(key: str, array: np.ndarray, kind: str = "FloatStorage") -> FakeTensor:
    """A contiguous tensor over its own storage, the way state dicts usually hold them."""
    strides = tuple(s // array.itemsize for s in np.ascontiguousarray(array).strides)
    return FakeTensor(FakeStorage(key, kind, array.reshape(-1)), 0, array.shape, strides)


class _LegacyPickler(pickle.Pickler):
    """Emits storages as torch's persistent ids and remembers them for the raw section."""

    def __init__(self, file, storages: dict[str, FakeStorage]):
        super().__init__(file, protocol=2)
        self.storages = storages

    def persistent_id(self, obj):
        if not isinstance(obj, FakeStorage):
            return None
        self.storages[obj.key] = obj
        storage_class = getattr(_FAKE_TORCH, obj.kind)
        return ("storage", storage_class, obj.key, "cpu", obj.elements.size, None)


def write_legacy(state: dict, sys_info: object = SYS_INFO) -> bytes:
    """Bytes laid out as torch's legacy `_save`: five pickles, then count + raw bytes per key."""
    out = io.BytesIO()
    storages: dict[str, FakeStorage] = {}
    fake_modules = {"torch": _FAKE_TORCH, "torch._utils": _FAKE_TORCH_UTILS}
    with mock.patch.dict(sys.modules, fake_modules):
        for header in (MAGIC_NUMBER, PROTOCOL_VERSION, sys_info):
            pickle.dump(header, out, protocol=2)
        _LegacyPickler(out, storages).dump(state)
        keys = sorted(storages)
        pickle.dump(keys, out, protocol=2)
    for key in keys:
        elements = storages[key].elements
        out.write(np.int64(elements.size).astype("<i8").tobytes())
        out.write(_raw_bytes(storages[key].kind, elements))
    return out.getvalue()


def _raw_bytes(kind: str, elements: np.ndarray) -> bytes:
    if kind == "BFloat16Storage":  # the top half of each float32
        return (elements.astype("<f4").view("<u4") >> 16).astype("<u2").tobytes()
    return elements.astype(STORAGE_DTYPES[kind]).tobytes()


def test_contiguous_tensors_of_every_storage_type_round_trip_exactly():
    rng = np.random.default_rng(0)
    arrays = {
        "ByteStorage": rng.integers(0, 256, (4, 3, 3, 3)).astype(np.uint8),
        "CharStorage": rng.integers(-128, 128, (5,)).astype(np.int8),
        "ShortStorage": rng.integers(-3000, 3000, (2, 3)).astype(np.int16),
        "IntStorage": rng.integers(-(2**31), 2**31 - 1, (7,)).astype(np.int32),
        "LongStorage": np.array([-(2**62), 0, 2**62 + 5], dtype=np.int64),
        "HalfStorage": rng.standard_normal((3, 2)).astype(np.float16),
        "FloatStorage": rng.standard_normal((6, 2, 3, 3)).astype(np.float32),
        "DoubleStorage": rng.standard_normal(4),
        "BoolStorage": np.array([True, False, True]),
        "BFloat16Storage": np.array([[1.5, -2.0], [0.15625, 2.0**100]], dtype=np.float32),
    }
    state = {kind: tensor(str(i), array, kind) for i, (kind, array) in enumerate(arrays.items())}
    loaded = load_legacy_state_dict(write_legacy(collections.OrderedDict(state)))
    assert list(loaded) == list(arrays)
    for kind, array in arrays.items():
        expected = array.astype(np.float32) if kind == "BFloat16Storage" else array
        assert loaded[kind].dtype == expected.dtype, kind
        np.testing.assert_array_equal(loaded[kind], expected, err_msg=kind)


def test_offset_strided_and_shared_storage_views_follow_torch_semantics():
    elements = np.arange(30, dtype=np.float32)
    storage = FakeStorage("7", "FloatStorage", elements)
    state = {
        "whole": FakeTensor(storage, 0, (30,), (1,)),
        "block": FakeTensor(storage, 5, (2, 3), (3, 1)),  # offset, contiguous
        "transposed": FakeTensor(storage, 5, (3, 2), (1, 3)),  # the transpose of `block`
        "every_other": FakeTensor(storage, 1, (2, 2, 2), (12, 6, 2)),
        "broadcast": FakeTensor(storage, 29, (2, 3), (0, 0)),
        "scalar": FakeTensor(storage, 4, (), ()),
        "empty": FakeTensor(storage, 0, (0, 3), (3, 1)),
    }
    loaded = load_legacy_state_dict(io.BytesIO(write_legacy(state)))
    np.testing.assert_array_equal(loaded["whole"], elements)
    np.testing.assert_array_equal(loaded["block"], elements[5:11].reshape(2, 3))
    np.testing.assert_array_equal(loaded["transposed"], elements[5:11].reshape(2, 3).T)
    np.testing.assert_array_equal(loaded["every_other"], elements[1:25:2].reshape(2, 2, 3)[..., :2])
    np.testing.assert_array_equal(loaded["broadcast"], np.full((2, 3), 29.0, np.float32))
    assert loaded["scalar"].shape == () and loaded["scalar"] == 4.0
    assert loaded["empty"].shape == (0, 3)
    loaded["block"][0, 0] = -1.0  # arrays are independent copies, not views of one buffer
    assert loaded["whole"][5] == 5.0 and loaded["transposed"].flags.c_contiguous


def test_a_view_past_the_end_of_its_storage_is_refused():
    storage = FakeStorage("1", "FloatStorage", np.zeros(6, np.float32))
    data = write_legacy({"w": FakeTensor(storage, 2, (2, 3), (3, 1))})
    with pytest.raises(TorchLegacyError, match="reaches element 7 of storage 1, which has 6"):
        load_legacy_state_dict(data)


class _RunsCommand:
    """A classic pickle exploit: unpickling calls `callable(*args)`."""

    def __init__(self, call, *args):
        self.call, self.args = call, args

    def __reduce__(self):
        return self.call, self.args


def _exploits(marker: str) -> dict[str, object]:
    command = f"touch {marker}"
    return {
        "os.system": _RunsCommand(os.system, command),
        "builtins.eval": _RunsCommand(eval, f"__import__('os').system({command!r})"),
        "builtins.exec": _RunsCommand(exec, f"open({marker!r}, 'w').close()"),
    }


@pytest.mark.parametrize("exploit", ["os.system", "builtins.eval", "builtins.exec"])
@pytest.mark.parametrize("where", ["state dict", "sys info"])
def test_code_in_the_pickle_is_refused_before_it_runs(tmp_path, exploit, where):
    marker = str(tmp_path / "pwned")
    payload = _exploits(marker)[exploit]
    if where == "state dict":
        good = tensor("0", np.ones(3, np.float32))
        data = write_legacy({"weight": good, "bias": payload})
    else:
        data = write_legacy({}, sys_info=payload)
    with pytest.raises(
        TorchLegacyError,
        match=r"refused global (posix|os|builtins|__builtin__)\.(system|eval|exec)",
    ):
        load_legacy_state_dict(data)
    assert not os.path.exists(marker)


def test_globals_outside_the_allow_list_are_refused_even_harmless_ones():
    data = write_legacy({"x": _RunsCommand(collections.Counter, "abc")})
    with pytest.raises(TorchLegacyError, match=r"refused global collections\.Counter"):
        load_legacy_state_dict(data)


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"PK\x03\x04 a zip-format torch.save",
        pickle.dumps(12345, protocol=2),
        b"\x80\x02garbage",
    ],
)
def test_other_files_are_reported_as_bad_magic(data):
    with pytest.raises(TorchLegacyError, match=r"^bad magic number: not a legacy"):
        load_legacy_state_dict(data)


def test_truncation_is_reported_in_the_raw_data_and_in_the_pickles():
    data = write_legacy({"w": tensor("0", np.arange(10, dtype=np.float32))})
    with pytest.raises(
        TorchLegacyError, match=r"^truncated file: storage 0 needs 40 bytes, 39 left"
    ):
        load_legacy_state_dict(data[:-1])
    with pytest.raises(TorchLegacyError, match=r"^truncated file: storage 0 needs 8 bytes"):
        load_legacy_state_dict(data[: -40 - 4])
    pickles_end = len(data) - 48
    with pytest.raises(TorchLegacyError, match=r"^truncated or corrupt .* pickle at byte"):
        load_legacy_state_dict(data[: pickles_end - 20])


def test_errors_are_single_lines():
    with pytest.raises(TorchLegacyError) as info:
        load_legacy_state_dict(write_legacy({"x": _RunsCommand(os.system, "true")}))
    assert "\n" not in str(info.value)
