"""`nst-tf`: flags -> config -> stylize. Flags left unset keep the config file's value.

nst-tf --content=photo.jpg --style=painting.jpg --output_dir=out
nst-tf --flagfile=run.flags --config=configs/paper.py --num_iterations=400
nst-tf --output_dir=out --resume      # continue an interrupted run from its last checkpoint

Every setting's flag is generated from its `nst_tf.config.Config` field, so the flags, the
config files and config.json always name the same things.
"""

from __future__ import annotations

import sys

from absl import app, flags, logging

from nst_tf import __version__
from nst_tf.config import Config, load_config_table, make_config, settings
from nst_tf.console import define_setting_flags, run_console_script
from nst_tf.errors import UserError

_CONFIG = flags.DEFINE_string(
    "config", "paper", "Config: a built-in name (paper) or a path to a .py file with get_config()."
)
RESUME = flags.DEFINE_boolean(
    "resume",
    False,
    "Continue the run in --output_dir from its latest checkpoint (same settings; a larger "
    "--num_iterations is allowed).",
)
VERSION = flags.DEFINE_boolean("version", False, "Print the nst_tf version and exit.")


_SETTINGS = define_setting_flags(settings(), __name__)


def overrides_from_flags() -> dict:
    """Flag values the user gave (None = unset), keyed like the config table."""
    return {name: holder.value for name, holder in _SETTINGS.items()}


def config_from_flags() -> Config:
    """The --config file's table with the setting flags the user gave, validated."""
    return make_config(load_config_table(_CONFIG.value), overrides_from_flags())


def main(argv: list[str]) -> None:
    if len(argv) > 1:
        raise app.UsageError(f"unexpected arguments: {' '.join(argv[1:])}")
    if VERSION.value:
        print(f"nst-tf {__version__}")
        return
    from nst_tf.runtime import environment

    environment.configure(logging.get_verbosity())
    from nst_tf import stylize

    try:
        config = config_from_flags()
        stylize.stylize(config, resume=RESUME.value)
    except UserError as err:
        print(f"nst-tf: error: {err}", file=sys.stderr)
        sys.exit(1)
    except stylize.RunStoppedError as stop:
        print(f"nst-tf: {stop}", file=sys.stderr)
        sys.exit(stop.exit_code)


def entry_point() -> None:
    run_console_script(main, __name__)


if __name__ == "__main__":
    entry_point()
