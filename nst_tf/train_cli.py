"""`nst-tf-train`: flags -> NetworkConfig -> one training run (nst_tf.training.run).

nst-tf-train --styles=a.jpg,b.jpg --train_images=photos/ --output_dir=output/network
nst-tf-train --config=network_dumoulin --styles=... --train_images='coco/**/*.jpg' \
    --distribute=mirrored
nst-tf-train --output_dir=output/network ... --resume     # continue from the last checkpoint
nst-tf-train --finetune_from=output/network --styles=c.jpg --output_dir=output/more

Every setting's flag is generated from its NetworkConfig field. The flags are defined when the
command starts (nst_tf.console), since several share names with nst-tf's.
"""

from __future__ import annotations

import sys

from absl import app, flags, logging

from nst_tf import __version__
from nst_tf.console import define_setting_flags, early_strategy, run_console_script
from nst_tf.errors import UserError

NAME = "nst-tf-train"
_FLAGS: dict[str, flags.FlagHolder] = {}


def _define_flags() -> None:
    from nst_tf.runtime.distribute import STRATEGIES
    from nst_tf.training.config import settings

    _FLAGS["config"] = flags.DEFINE_string(
        "config", "network", "Config: a built-in name (network, network_dumoulin) or a .py path."
    )
    _FLAGS["resume"] = flags.DEFINE_boolean(
        "resume", False, "Continue the run in --output_dir from its latest checkpoint."
    )
    _FLAGS["distribute"] = flags.DEFINE_enum(
        "distribute",
        "auto",
        STRATEGIES,
        "tf.distribute strategy: auto = every local GPU when there are several, else one device; "
        "multi_worker reads TF_CONFIG.",
    )
    _FLAGS["tpu"] = flags.DEFINE_string("tpu", "", "TPU address for --distribute=tpu.")
    _FLAGS["version"] = flags.DEFINE_boolean("version", False, "Print the version and exit.")
    _FLAGS["settings"] = define_setting_flags(settings(), __name__)


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if _FLAGS["version"].value:
        print(f"{NAME} {__version__}")
        return
    from nst_tf.runtime import environment

    distribute = _FLAGS["distribute"].value
    started = environment.configure(logging.get_verbosity(), early_strategy(distribute))
    from nst_tf.config import load_config_table
    from nst_tf.runtime.distribute import make_strategy
    from nst_tf.stylize import RunStoppedError
    from nst_tf.training.config import make_network_config
    from nst_tf.training.run import train

    try:
        overrides = {name: holder.value for name, holder in _FLAGS["settings"].items()}
        table = load_config_table(_FLAGS["config"].value, NAME)
        config = make_network_config(table, overrides)
        strategy = started or make_strategy(distribute, _FLAGS["tpu"].value)
        result = train(config, strategy, resume=_FLAGS["resume"].value)
    except UserError as err:
        print(f"{NAME}: error: {err}", file=sys.stderr)
        sys.exit(1)
    except RunStoppedError as stop:
        print(f"{NAME}: {stop}", file=sys.stderr)
        sys.exit(stop.exit_code)
    print(f"saved model: {result.saved_model} (styles: {', '.join(result.styles)})")


def entry_point() -> None:
    _define_flags()
    run_console_script(main, __name__)


if __name__ == "__main__":
    entry_point()
