#!/usr/bin/env bash
# cut_transfer_set.sh K IN OUT: the transfer set IN (JSON lines, `allennlp transfer-set` output)
# with every original row and only the first K augmented rows written after each, to OUT (through
# OUT.tmp, so an interrupted run leaves no half-written file). K = 0 is distillation without
# augmentation; K = the labelling run's n_iter is IN itself.
set -euo pipefail
k=$1 in=$2 out=$3
[[ $k =~ ^[0-9]+$ ]] || { echo "cut_transfer_set.sh: K must be a whole number, got '$k'" >&2; exit 2; }
# A transfer set that `allennlp transfer-set` has not finished would be cut unnoticed (its reader
# refuses it: rows.refuse_unfinished_transfer_set).
if [ -f "$in.progress" ] && ! grep -q '"complete": true' "$in.progress"; then
  echo "cut_transfer_set.sh: $in is an unfinished transfer set ($in.progress): finish it first" >&2
  exit 1
fi
awk -v k="$k" '/"augmented": false/ { n = 0; print; next } n < k { n++; print }' "$in" > "$out.tmp"
mv "$out.tmp" "$out"
