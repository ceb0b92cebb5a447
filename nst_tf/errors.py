"""The one exception type users see.

Every problem a user can fix (a bad path, a wrong weights file, a size that does not fit) is
raised as `UserError` with a single line that names the culprit and the fix. The CLI prints
that line and exits non-zero; anything else is a bug and keeps its traceback.
"""


class UserError(Exception):
    """A problem with the user's input, explained in one line."""
