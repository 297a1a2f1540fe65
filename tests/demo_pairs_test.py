from pathlib import Path

import pytest

from allennlp_distill.dataset_readers import DataFormatError, PairTeacherLogitsReader
from allennlp_distill.demo_pairs import read_pairs, sts_b_dir, write_splits
from tests.conftest import REPO

GLUE_STSB = REPO.parent / "shared" / "data" / "glue" / "STS-B"


def test_the_packaged_sts_b_splits_have_the_benchmark_sizes(tmp_path):
    assert write_splits(str(tmp_path)) == {"train": 5749, "dev": 1500, "test": 1379}
    instances = list(
        PairTeacherLogitsReader(regression=True, columns={"label": "score"}).read(
            str(tmp_path / "dev.tsv")
        )
    )
    assert len(instances) == 1500


@pytest.mark.skipif(not GLUE_STSB.is_dir(), reason="needs the GLUE copy in ../shared/data")
@pytest.mark.parametrize("split", ["train", "dev"])
def test_the_packaged_pairs_and_scores_equal_glue_sts_b(split):
    packaged = read_pairs(str(Path(sts_b_dir()) / f"sts-{split}.csv"))
    rows = [line.split("\t") for line in (GLUE_STSB / f"{split}.tsv").read_text().splitlines()[1:]]
    glue = [(row[7].strip(), row[8].strip(), float(row[9])) for row in rows]
    assert len(packaged) == len(glue)
    assert all(
        (a, b) == (c, d) and abs(x - y) < 1e-6 for (a, b, x), (c, d, y) in zip(packaged, glue)
    )


def test_a_row_without_a_score_names_the_file_and_line(tmp_path):
    path = tmp_path / "sts-bad.csv"
    path.write_text("g\tf\t2012\t1\t4.0\ta\tb\ng\tf\t2012\t2\tx\ta\tb\n")
    with pytest.raises(DataFormatError, match="sts-bad.csv:2: score 'x' not in"):
        read_pairs(str(path))
