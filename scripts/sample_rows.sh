#!/usr/bin/env bash
# sample_rows.sh N IN OUT: the header of the TSV file IN and a fixed sample of N of its data rows,
# written to OUT (through OUT.tmp, so an interrupted run leaves no half-written sample). The sample
# is `shuf`'s with SOURCE as its random source (default the GLUE SST-2 training file), so `make
# sst2-mpnet` and scripts/teacher_curve.sh draw the same rows for the same N.
set -euo pipefail
n=$1 in=$2 out=$3
SOURCE=${SOURCE:-../shared/data/glue/SST-2/train.tsv}
(head -n 1 "$in"; tail -n +2 "$in" | shuf -n "$n" --random-source="$SOURCE") > "$out.tmp"
mv "$out.tmp" "$out"
