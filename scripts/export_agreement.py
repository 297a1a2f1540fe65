"""
Do the exported student or teacher (`serving.py`, no AllenNLP) and `allennlp predict`'s
`text_classifier` predictor give the same label to every text of a gold file?

    .venv/bin/python scripts/export_agreement.py runs/sst2/student/model.tar.gz \
        runs/sst2/student_export ../shared/data/glue/SST-2/dev.tsv

prints the number of texts, how many labels agree, and the largest logit difference.
"""

import argparse
import runpy

import torch


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("archive")
    parser.add_argument("export_dir")
    parser.add_argument("gold_file", help="a TSV with a header and a `sentence` column")
    args = parser.parse_args()

    from allennlp.predictors import Predictor

    import allennlp_distill  # noqa: F401
    from allennlp_distill.dataset_readers.rows import iter_rows

    texts = [row["sentence"] for _, row in iter_rows(args.gold_file, required_columns=["sentence"])]
    predictor = Predictor.from_path(args.archive, "text_classifier")
    served = runpy.run_path("allennlp_distill/serving.py")["ExportedStudent"](args.export_dir)
    agree, largest = 0, 0.0
    for first in range(0, len(texts), 64):
        chunk = texts[first : first + 64]
        expected = predictor.predict_batch_json([{"sentence": text} for text in chunk])
        logits = served.outputs(served.inputs([{served.text_columns[0]: text} for text in chunk]))
        for output, row in zip(expected, logits):
            agree += output["label"] == served.labels[int(row.argmax())]
            difference = (torch.tensor(output["logits"]) - row).abs().max().item()
            largest = max(largest, difference)
    print(f"{len(texts)} texts: {agree} labels agree ({100 * agree / len(texts):.2f} %), ")
    print(f"largest logit difference {largest:.2e}")


if __name__ == "__main__":
    main()
