"""
An AllenNLP archive of one epoch's checkpoint of a training run (its config and vocabulary with
that epoch's weights instead of `best.th`), to evaluate the epochs of one run, e.g. the sentence
encoder's unsupervised STS after each epoch (`allennlp sts-eval` reads archives). Keep the
checkpoints when training (`-o '{"trainer.checkpointer": {"keep_most_recent_by_count": 20}}'`;
AllenNLP keeps the last 2), then:

    .venv/bin/python scripts/archive_checkpoint.py runs/sentence_encoder_8ep/encoder \\
        model_state_e2_b0.th runs/sentence_encoder_8ep/epoch2.tar.gz

The archive is loaded once after it is written, so a checkpoint that does not fit fails here.
"""

import argparse
import os

from allennlp.models.archival import archive_model, load_archive

import allennlp_distill  # noqa: F401  (registers the plugin's components)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("serialization_dir", help="the run's folder (`allennlp train -s`)")
    parser.add_argument("checkpoint", help="a weights file in it, e.g. model_state_e2_b0.th")
    parser.add_argument("archive", help="the .tar.gz to write")
    args = parser.parse_args()
    if not os.path.isfile(os.path.join(args.serialization_dir, args.checkpoint)):
        raise SystemExit(f"{args.serialization_dir} holds no {args.checkpoint}")
    archive_model(args.serialization_dir, weights=args.checkpoint, archive_path=args.archive)
    load_archive(args.archive)
    print(args.archive)


if __name__ == "__main__":
    main()
