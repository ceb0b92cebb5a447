"""Which (content, style) pairs a batch runs, and where each one's outputs go.

Contents and styles are each a folder, a glob or a comma list of those and of files, paired
every content x style; or a manifest CSV names the pairs (`content,style[,output]`). A pattern
that names nothing (an empty folder, a glob that matches no file) is the user's mistake and
stops the batch; a named file that is missing or is not an image is only that job's problem,
found when the job loads it and reported in the summary.
"""

from __future__ import annotations

import csv
import dataclasses
import glob
import os

from nst_tf.errors import UserError

_GLOB_CHARACTERS = frozenset("*?[")


@dataclasses.dataclass(frozen=True)
class Job:
    """One stylization: its name is its output folder's name under --output_dir."""

    name: str
    content: str
    style: str
    output_dir: str


def expand(spec: str, flag: str) -> list[str]:
    """A folder, glob or comma list of those and of files -> the files, in a stable order.

    A folder gives its visible files (not sub-folders), sorted; a glob its matching files,
    sorted; a plain path is kept as given, so a missing file reaches its job's report.
    """
    paths: list[str] = []
    items = [item.strip() for item in spec.split(",") if item.strip()]
    if not items:
        raise UserError(f"--{flag} is empty; pass a folder, a glob or image paths")
    for item in items:
        if _GLOB_CHARACTERS & set(item):
            matches = sorted(path for path in glob.glob(item) if os.path.isfile(path))
            if not matches:
                raise UserError(f"--{flag} pattern {item} matches no file; check the pattern")
            paths += matches
        elif os.path.isdir(item):
            names = sorted(name for name in os.listdir(item) if not name.startswith("."))
            files = [os.path.join(item, name) for name in names]
            files = [path for path in files if os.path.isfile(path)]
            if not files:
                raise UserError(f"--{flag} folder {item} holds no files; put images in it")
            paths += files
        else:
            paths.append(item)
    return list(dict.fromkeys(paths))


def stem(path: str) -> str:
    return os.path.splitext(os.path.basename(path))[0]


def pair(contents: list[str], styles: list[str], output_dir: str) -> list[Job]:
    """Every content x style, into output_dir/<content-stem>__<style-stem>."""
    jobs = [
        Job(f"{stem(c)}__{stem(s)}", c, s, os.path.join(output_dir, f"{stem(c)}__{stem(s)}"))
        for c in contents
        for s in styles
    ]
    return _check_unique(jobs, "files with the same name in different folders; rename one")


def read_manifest(path: str, output_dir: str) -> list[Job]:
    """Rows `content,style[,output]`; relative image paths are relative to the manifest's folder.

    `output` is a folder name under output_dir (or an absolute path); unset, it is
    <content-stem>__<style-stem>. A first row `content,style[,output]` is a header; blank rows
    and rows starting with # are skipped.
    """
    try:
        with open(path, newline="") as handle:
            rows = list(enumerate(csv.reader(handle), start=1))
    except OSError as err:
        raise UserError(f"cannot read --manifest {path} ({err.strerror}); pass a CSV") from None
    except (UnicodeDecodeError, csv.Error) as err:
        raise UserError(f"--manifest {path} is not a CSV text file ({err}); pass one") from None
    base = os.path.dirname(os.path.abspath(path))
    jobs = []
    for line, row in rows:
        cells = [cell.strip() for cell in row]
        if not any(cells) or cells[0].startswith("#"):
            continue
        if line == 1 and [cell.lower() for cell in cells[:2]] == ["content", "style"]:
            continue
        if len(cells) not in (2, 3) or not all(cells[:2]):
            raise UserError(
                f"--manifest {path} line {line} is not `content,style[,output]`: {','.join(row)}"
            )
        content, style = (os.path.join(base, cell) for cell in cells[:2])
        name = cells[2] if len(cells) == 3 and cells[2] else f"{stem(content)}__{stem(style)}"
        jobs.append(Job(name, content, style, os.path.join(output_dir, name)))
    if not jobs:
        raise UserError(f"--manifest {path} lists no jobs; add `content,style` rows")
    return _check_unique(jobs, "give those rows different output names (third column)")


def _check_unique(jobs: list[Job], fix: str) -> list[Job]:
    seen: dict[str, Job] = {}
    for job in jobs:
        folder = os.path.normpath(job.output_dir)
        if folder in seen:
            raise UserError(
                f"jobs {seen[folder].content} x {seen[folder].style} and {job.content} x "
                f"{job.style} would both write to {folder}: {fix}"
            )
        seen[folder] = job
    return jobs


def discover(
    contents: str | None, styles: str | None, manifest: str | None, output_dir: str
) -> list[Job]:
    """The batch's jobs from the flags: --contents with --styles, or --manifest alone."""
    if manifest:
        if contents or styles:
            raise UserError("pass either --manifest or --contents with --styles, not both")
        return read_manifest(manifest, output_dir)
    if not contents or not styles:
        raise UserError("pass --contents and --styles (folders, globs or lists), or --manifest")
    return pair(expand(contents, "contents"), expand(styles, "styles"), output_dir)
