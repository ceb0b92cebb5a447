"""What every console script shares: flags generated from a settings dataclass, and app.run.

nst-tf and nst-tf-batch define their flags when imported; nst-tf-train and nst-tf-apply share
flag names with them (--output_dir, --styles ...) and define theirs when they start, so any of
these modules can be imported in one process (the tests do) and each command sees its own.
"""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Iterable

from absl import app, flags, logging


def define_setting_flags(
    fields: Iterable[dataclasses.Field], module_name: str
) -> dict[str, flags.FlagHolder]:
    """One flag per settings field, default None so that unset flags keep the config's value;
    registered as `module_name`'s flags (what --help lists; absl names __main__ by argv[0])."""
    module_name = sys.argv[0] if module_name == "__main__" else module_name
    holders = {}
    for field in fields:
        kind, help_text = field.metadata["kind"], field.metadata["help"]
        if kind == "enum":
            holders[field.name] = flags.DEFINE_enum(
                field.name, None, field.metadata["choices"], help_text, module_name=module_name
            )
        else:
            define = getattr(flags, f"DEFINE_{kind}")
            holders[field.name] = define(field.name, None, help_text, module_name=module_name)
    return holders


def run_console_script(main_fn: Callable[[list[str]], None], *modules: str) -> None:
    """app.run for a console script whose --help lists the flags of `modules`.

    Under a console script the main module is the generated wrapper, so --help would list none
    of the flags; registering them as its key flags puts them in --help.
    """
    for module in modules:
        for name in flags.FLAGS.get_flags_for_module(module):
            flags.FLAGS.register_key_flag_for_module(sys.argv[0], name)
    logging.set_verbosity(logging.INFO)
    app.run(main_fn)


def early_strategy(name: str) -> Callable[[], object] | None:
    """For environment.configure's `startup`: a MultiWorkerMirroredStrategy must be made as
    TensorFlow starts (it configures collective ops), so --distribute=multi_worker makes it
    there; every other strategy is made later, as usual."""
    if name != "multi_worker":
        return None

    def make() -> object:
        from nst_tf.runtime.distribute import make_strategy

        return make_strategy(name)

    return make
