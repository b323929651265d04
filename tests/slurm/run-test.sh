#!/usr/bin/env bash
# run-test.sh COMMAND... — runs COMMAND (the Slurm test) against a one-node
# cluster started for it (cluster.sh) in a temporary folder, and takes the
# cluster down and removes the folder when COMMAND ends, whatever happens:
# the daemons detach from the test's process group, so only this trap
# stops them.  Exits 77 (meson: skipped) when Slurm is not installed.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
export PATH="$PATH:/usr/sbin:/sbin"

for tool in munged slurmctld slurmd sbatch squeue scontrol scancel sinfo; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "skipped: slurm-wlm not installed ($tool not found; tools/setup.sh installs slurm-wlm and munge)"
    exit 77
  fi
done

dir=$(mktemp -d "${TMPDIR:-/tmp}/ave-slurm-XXXXXX")
cleanup() {
  "$here/cluster.sh" stop "$dir/cluster" || true
  rm -rf -- "$dir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

if ! setup=$("$here/cluster.sh" start "$dir/cluster"); then
  echo "could not start the test cluster (logs above)" >&2
  exit 1
fi
eval "$setup"
export AVE_SLURM_TEST_DIR="$dir"
"$@"
rc=$?
if [ $rc -ne 0 ]; then
  echo "--- Slurm logs ---" >&2
  tail -n 30 "$dir"/cluster/log/slurmctld.log "$dir"/cluster/log/slurmd.log >&2 2>/dev/null
fi
exit $rc
