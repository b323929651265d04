#!/usr/bin/env bash
# cluster.sh start DIR | stop DIR | env DIR — a real one-node Slurm for the
# tests, entirely inside DIR.
#
#   start DIR  generates a munge key and a slurm.conf in DIR, starts munged
#              (its socket in DIR), slurmctld and slurmd -N on 127.0.0.1 on
#              free ports, and waits until the node is idle.  Prints the
#              line to eval for the clients: export SLURM_CONF=DIR/slurm.conf
#   stop DIR   stops the daemons started in DIR (by the pids recorded there,
#              never by name) and waits for them to end.  Safe to run twice,
#              or on a half-started DIR.
#   env DIR    prints the export line again.
#
# Nothing outside DIR is written: munged's key, seed, socket, pid and log
# files, slurm's state, spool, pid and log files all live there, and
# AuthInfo=socket=... makes slurm talk to this munged, not the system's, so a
# second run (or a second cluster) never trips on the first one's leftovers.
# No cgroups (proctrack/linuxproc, task/none): it runs in containers and CI.
# Runs as the current user; CI and the tests run it as root, which munged and
# slurmd accept (munged with --force).
set -euo pipefail

usage() { echo "usage: cluster.sh start|stop|env DIR" >&2; exit 2; }
[ $# -eq 2 ] || usage
cmd=$1
dir=$2

for tool in munged mungekey slurmctld slurmd sinfo scontrol; do
  if ! command -v "$tool" >/dev/null 2>&1 && [ ! -x "/usr/sbin/$tool" ]; then
    echo "cluster.sh: $tool not found: install slurm-wlm and munge (tools/setup.sh)" >&2
    exit 77
  fi
done
export PATH="$PATH:/usr/sbin:/sbin"

# Stops the daemon whose pid file is $1: TERM, then KILL after 10 s.  Only a
# pid whose command line names this cluster's DIR is signalled, so a stale
# pid file never kills a stranger that reused the number.
stop_pidfile() {
  local pidfile=$1 pid i
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile" 2>/dev/null || true)
  rm -f "$pidfile"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 0
  [ -r "/proc/$pid/cmdline" ] || return 0
  tr '\0' ' ' < "/proc/$pid/cmdline" | grep -qF -- "$dir/" || return 0
  kill -TERM "$pid" 2>/dev/null || return 0
  for i in $(seq 100); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
}

# Pids of this cluster's job processes: their environment names this
# cluster's slurm.conf (sbatch passes the submitter's environment on) and a
# Slurm job id (slurmd adds it), which no shell of the user has.
cluster_processes() {
  local env pid vars
  for env in /proc/[0-9]*/environ; do
    pid=${env#/proc/}
    pid=${pid%/environ}
    [ "$pid" != $$ ] && [ "$pid" != "$BASHPID" ] || continue
    vars=$( { tr '\0' '\n' < "$env"; } 2>/dev/null) || continue
    grep -qxF "SLURM_CONF=$dir/slurm.conf" <<<"$vars" && grep -q '^SLURM_JOB_ID=' <<<"$vars" && echo "$pid"
  done
  return 0
}

stop_all() {
  local i pids
  # Jobs first, while the controller still runs: slurmd ends their steps.
  if [ -f "$dir/run/slurmctld.pid" ] && [ -f "$dir/slurm.conf" ]; then
    SLURM_CONF="$dir/slurm.conf" timeout 10 scancel -u "$(id -un)" 2>/dev/null || true
    for i in $(seq 50); do
      [ -z "$(SLURM_CONF="$dir/slurm.conf" timeout 5 squeue -h -o %i 2>/dev/null)" ] && break
      sleep 0.2
    done
  fi
  # Then slurmd, the controller, and munge, which both still use.
  stop_pidfile "$dir/run/slurmd.pid"
  stop_pidfile "$dir/run/slurmctld.pid"
  stop_pidfile "$dir/run/munged.pid"
  # What a killed step left behind (linuxproc tracks by parentage only).
  pids=$(cluster_processes)
  if [ -n "$pids" ]; then
    kill -KILL $pids 2>/dev/null || true
  fi
  return 0
}

# A TCP port nobody listens on (a connect to it is refused).
free_port() {
  local p
  for _ in $(seq 50); do
    p=$(( 20000 + RANDOM % 30000 ))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null; then
      echo "$p"
      return 0
    fi
  done
  echo "cluster.sh: no free port found" >&2
  return 1
}

wait_for() {
  local what=$1 secs=$2
  shift 2
  for _ in $(seq $(( secs * 5 ))); do
    if "$@" >/dev/null 2>&1; then
      return 0
    fi
    sleep 0.2
  done
  echo "cluster.sh: $what did not come up in ${secs}s; logs in $dir/log:" >&2
  tail -n 20 "$dir"/log/*.log >&2 2>/dev/null || true
  return 1
}

case "$cmd" in
  env)
    echo "export SLURM_CONF=$dir/slurm.conf"
    ;;

  stop)
    [ -d "$dir" ] || exit 0
    dir=$(cd "$dir" && pwd -P)
    stop_all
    ;;

  start)
    mkdir -p "$dir"
    dir=$(cd "$dir" && pwd -P)
    if [ -f "$dir/run/slurmctld.pid" ] || [ -f "$dir/run/munged.pid" ]; then
      echo "cluster.sh: a cluster already runs in $dir (cluster.sh stop $dir first)" >&2
      exit 1
    fi
    # Whatever fails from here on, nothing stays running.
    trap 'rc=$?; if [ $rc -ne 0 ]; then stop_all; fi; exit $rc' EXIT
    trap 'exit 130' INT TERM

    mkdir -p "$dir/munge" "$dir/run" "$dir/log" "$dir/state" "$dir/spool"
    # munged insists on a key and socket folder nobody else can write to,
    # and clients need to reach the socket in it
    chmod 0711 "$dir/munge"
    chmod 0755 "$dir/run" "$dir/log"
    [ -f "$dir/munge/munge.key" ] || mungekey --create --keyfile="$dir/munge/munge.key" >/dev/null 2>&1 \
      || dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 2>/dev/null
    chmod 0400 "$dir/munge/munge.key"

    socket="$dir/munge/munge.socket"
    munged --force \
      --key-file="$dir/munge/munge.key" \
      --socket="$socket" \
      --pid-file="$dir/run/munged.pid" \
      --log-file="$dir/log/munged.log" \
      --seed-file="$dir/munge/munged.seed" \
      >>"$dir/log/munged.log" 2>&1
    wait_for munged 10 test -S "$socket"

    # slurmctld only runs where SlurmctldHost names this host; the node's
    # name is free (slurmd -N), its address is the loopback.
    node=avenode
    cpus=$(nproc)
    # The node offers what the machine has (in MiB), less a little, so that
    # jobs asking --mem are scheduled as on a real node.
    mem_mib=$(( $(awk '/^MemTotal:/ { print $2 }' /proc/meminfo) / 1024 ))
    ctld_port=$(free_port)
    slurmd_port=$(free_port)
    while [ "$slurmd_port" = "$ctld_port" ]; do slurmd_port=$(free_port); done

    cat > "$dir/slurm.conf" <<EOF
# Generated by tests/slurm/cluster.sh: a one-node test cluster in $dir
ClusterName=avetest
SlurmctldHost=$(hostname -s)(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$(id -un)
SlurmdUser=$(id -un)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$socket
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/run/slurmctld.pid
SlurmdPidFile=$dir/run/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
ReturnToService=2
MailProg=/bin/true
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
MinJobAge=300
KillWait=5
Waittime=0
MaxArraySize=10001
NodeName=$node NodeAddr=127.0.0.1 NodeHostname=$node CPUs=$cpus RealMemory=$mem_mib State=UNKNOWN
PartitionName=debug Nodes=$node Default=YES MaxTime=INFINITE State=UP
EOF
    export SLURM_CONF="$dir/slurm.conf"

    # -i: ignore any saved state (a fresh cluster every start)
    slurmctld -i -f "$dir/slurm.conf" >>"$dir/log/slurmctld.log" 2>&1
    wait_for slurmctld 20 scontrol ping
    slurmd -N "$node" -f "$dir/slurm.conf" >>"$dir/log/slurmd.log" 2>&1
    node_idle() { sinfo -h -n "$node" -o %t | grep -qx idle; }
    wait_for slurmd 30 node_idle
    trap - EXIT INT TERM
    echo "export SLURM_CONF=$dir/slurm.conf"
    ;;

  *)
    usage
    ;;
esac
