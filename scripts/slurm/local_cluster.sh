#!/usr/bin/env bash
# A real single-node Slurm cluster on this machine, for tests of Slurm array studies.
#
#   bash scripts/slurm/local_cluster.sh up       install slurm + munge when missing, start munged, slurmctld
#                                                and slurmd (daemons, no systemd), wait until the node is idle
#   bash scripts/slurm/local_cluster.sh down     stop those daemons (and any job still running), remove the state
#   bash scripts/slurm/local_cluster.sh status   say whether it is up (exit 0) or not (exit 1)
#   bash scripts/slurm/local_cluster.sh check    self-test: a GPU array job and requeued jobs, printing what they saw
#
# Debian's Slurm (bookworm: 22.05) with one node, named `hostname -s`, at 127.0.0.1: 8 CPUs whatever the
# hardware has (SlurmdParameters=config_overrides), memory not scheduled, and 4 stand-in GPUs (Gres=gpu:4).
# Partitions: `debug` (the default) and `urgent`, whose jobs pre-empt debug's by requeueing them
# (PreemptType=preempt/partition_prio, PreemptMode=REQUEUE); JobRequeue=1, so batch jobs are requeueable.
# Everything (configuration, munge key and socket, spool, logs, pid files) lives under $LLEM_SLURM_DIR
# (default /var/tmp/llem-slurm); `down` removes it. Clients need SLURM_CONF=$LLEM_SLURM_DIR/etc/slurm.conf;
# `up` also links /etc/slurm/slurm.conf to it when that file does not exist, so plain `sinfo` works.
#
# What this Slurm needs, and why the configuration looks as it does (found on Debian 12, root, in a VM):
# - GPUs without devices: gres.conf lines for GPUs without File= are dropped by slurmd ("Removing file-less
#   GPU gpu:(null) from final GRES list"; the node then goes INVAL, "gres/gpu count reported lower than
#   configured (0 < 4)"), and File= pointing at plain files is refused ("is not a valid character or block
#   device"). So up makes character devices $DIR/dev/nvidia0..3 (mknod, major 195 like NVIDIA's; nothing
#   opens them) and gres.conf names them. Jobs then get SLURM_JOB_GPUS and CUDA_VISIBLE_DEVICES (and
#   GPU_DEVICE_ORDINAL) with the GPUs' indices, and srun steps also SLURM_STEP_GPUS.
# - No cgroups: proctrack/linuxproc and task/none work wherever /proc does. (proctrack/cgroup and task/cgroup
#   also worked in the VM this was written on, with cgroup v1, but they are not needed, constrain nothing
#   useful with stand-in devices, and leave slurm_<node> directories under /sys/fs/cgroup.)
# - Quick requeues: a requeued job may not start again until its credentials expire (AuthInfo cred_expire,
#   120 s by default), and then only on the scheduler's next periodic pass (sched_interval, 60 s by default):
#   about 2.5 minutes. cred_expire=10 and sched_interval=2 make that about 12 s.
#
# Requeue, as `check` shows it: a running batch job submitted with --requeue (the default, JobRequeue=1) is
# requeued by `scontrol requeue JOBID` (JOBID_TASK for one array task), by pre-emption (a job in partition
# urgent that needs its GPUs), or by itself: `scontrol requeue $SLURM_JOB_ID` in a trap, e.g. for the signal
# `--signal=B:USR1@45` sends 45 s before the time limit. The job's processes get SIGTERM (SIGKILL KillWait,
# 30 s, later), the job goes back to PENDING (Reason=BeginTime) and its batch script reruns from the top
# with the same SLURM_JOB_ID and SLURM_ARRAY_TASK_ID, SLURM_RESTART_COUNT=1 (unset on a first start), and
# its -o file truncated (--open-mode=append keeps it). `scancel --signal=TERM --batch JOBID` only signals:
# the job ends (FAILED, exit 143, after a TERM trap that exits) and is not requeued unless its trap runs
# scontrol requeue. A job submitted with --no-requeue refuses ("Requested operation is presently disabled").
set -euo pipefail

DIR=${LLEM_SLURM_DIR:-/var/tmp/llem-slurm}
NODE=$(hostname -s)
WAIT_S=${LLEM_SLURM_WAIT_S:-60}
export SLURM_CONF=$DIR/etc/slurm.conf
MUNGE_SOCKET=$DIR/munge/munge.socket
SYSTEM_CONF=/etc/slurm/slurm.conf

log() { echo "local_cluster: $*"; }
fail() {
  echo "local_cluster: $*" >&2
  for f in "$DIR/munge/munged.log" "$DIR/log/slurmctld.log" "$DIR/log/slurmd.log"; do
    [ -f "$f" ] && { echo "--- tail of $f" >&2; tail -n 15 "$f" >&2; }
  done
  exit 1
}

# alive PIDFILE: the process named in PIDFILE is running.
alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# stop PIDFILE: TERM the process, wait up to 10 s, then KILL it.
stop() {
  alive "$1" || { rm -f "$1"; return 0; }
  local pid
  pid=$(cat "$1")
  kill -TERM "$pid"
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$1"
}

# The node's state as sinfo reports it ("idle", "mixed", "down*", ...), empty when slurmctld does not answer.
node_state() { timeout 5 sinfo -h -n "$NODE" -o %T 2>/dev/null || true; }

is_up() {
  alive "$DIR/run/slurmctld.pid" && alive "$DIR/run/slurmd.pid" &&
    [[ $(node_state) =~ ^(idle|mixed|allocated|completing)$ ]]
}

# What `up` and `status` print when the cluster is up.
describe() { echo "node $NODE $(node_state), $(sinfo -h -n "$NODE" -o '%c CPUs, %G'); SLURM_CONF=$SLURM_CONF"; }

install_packages() {
  command -v munged >/dev/null && command -v slurmctld >/dev/null && command -v slurmd >/dev/null &&
    command -v sbatch >/dev/null && return 0
  log "installing munge and Slurm (slurmctld, slurmd, slurm-client) with apt-get (output in $DIR/log/apt.log)"
  export DEBIAN_FRONTEND=noninteractive
  local packages=(munge slurmctld slurmd slurm-client)
  { apt-get install -y -qq "${packages[@]}" || { apt-get update -qq && apt-get install -y -qq "${packages[@]}"; }; } \
    >"$DIR/log/apt.log" 2>&1 || { tail -n 20 "$DIR/log/apt.log" >&2; fail "apt-get could not install munge and Slurm"; }
}

start_munge() {
  install -d -o munge -g munge -m 711 "$DIR/munge" # munged wants its socket's directory executable by all
  [ -f "$DIR/munge/munge.key" ] || runuser -u munge -- mungekey --create --keyfile="$DIR/munge/munge.key"
  alive "$DIR/munge/munged.pid" && return 0
  runuser -u munge -- munged --key-file="$DIR/munge/munge.key" --socket="$MUNGE_SOCKET" \
    --log-file="$DIR/munge/munged.log" --pid-file="$DIR/munge/munged.pid" --seed-file="$DIR/munge/munged.seed" ||
    fail "munged did not start"
  munge -n -S "$MUNGE_SOCKET" | unmunge -S "$MUNGE_SOCKET" >/dev/null || fail "munged does not answer"
}

# Write slurm.conf and gres.conf to $DIR/etc; stop slurmd and slurmctld when a running pair has another configuration.
write_config() {
  mkdir -p "$DIR/etc" "$DIR/dev" "$DIR/log" "$DIR/run" "$DIR/spool/slurmctld" "$DIR/spool/slurmd"
  for i in 0 1 2 3; do [ -c "$DIR/dev/nvidia$i" ] || mknod "$DIR/dev/nvidia$i" c 195 "$i"; done
  local new=$DIR/etc/.new
  cat >"$new.slurm.conf" <<EOF
# Written by scripts/slurm/local_cluster.sh: a one-node test cluster. Changes are overwritten by its next \`up\`.
ClusterName=llem
SlurmctldHost=$NODE(127.0.0.1)
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET,cred_expire=10
SlurmUser=root
SlurmdUser=root
StateSaveLocation=$DIR/spool/slurmctld
SlurmdSpoolDir=$DIR/spool/slurmd
SlurmctldPidFile=$DIR/run/slurmctld.pid
SlurmdPidFile=$DIR/run/slurmd.pid
SlurmctldLogFile=$DIR/log/slurmctld.log
SlurmdLogFile=$DIR/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
MpiDefault=none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SlurmdParameters=config_overrides
SchedulerParameters=sched_interval=2
GresTypes=gpu
JobRequeue=1
ReturnToService=2
PreemptType=preempt/partition_prio
PreemptMode=REQUEUE
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=8 Gres=gpu:4 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP PriorityTier=1
PartitionName=urgent Nodes=ALL MaxTime=INFINITE State=UP PriorityTier=2
EOF
  cat >"$new.gres.conf" <<EOF
AutoDetect=off
NodeName=$NODE Name=gpu File=$DIR/dev/nvidia[0-3]
EOF
  local f changed=""
  for f in slurm.conf gres.conf; do
    cmp -s "$new.$f" "$DIR/etc/$f" || { mv "$new.$f" "$DIR/etc/$f"; changed=1; }
    rm -f "$new.$f"
  done
  if [ -n "$changed" ] && alive "$DIR/run/slurmctld.pid"; then
    log "configuration changed: restarting slurmctld and slurmd"
    stop "$DIR/run/slurmd.pid"
    stop "$DIR/run/slurmctld.pid"
  fi
  [ -e "$SYSTEM_CONF" ] || [ -L "$SYSTEM_CONF" ] || { mkdir -p /etc/slurm && ln -s "$SLURM_CONF" "$SYSTEM_CONF"; }
}

stop_daemons() {
  stop "$DIR/run/slurmd.pid"
  stop "$DIR/run/slurmctld.pid"
  stop "$DIR/munge/munged.pid"
}

up() {
  local t0=$SECONDS
  if [ -d "$DIR" ] && [ ! -f "$DIR/.llem-slurm" ] && [ -n "$(ls -A "$DIR")" ]; then
    fail "$DIR is not empty and was not made by this script: set LLEM_SLURM_DIR to another directory"
  fi
  mkdir -p "$DIR/log"
  touch "$DIR/.llem-slurm" # marks the directory as ours, for `down` to remove
  trap stop_daemons EXIT   # nothing left half-started when up fails
  install_packages
  start_munge
  write_config
  # -c: start from a clean state (no jobs, no node drained by an earlier run).
  alive "$DIR/run/slurmctld.pid" || slurmctld -c || fail "slurmctld did not start"
  alive "$DIR/run/slurmd.pid" || slurmd || fail "slurmd did not start"
  for _ in $(seq 1 "$((WAIT_S * 2))"); do is_up && break; sleep 0.5; done
  is_up || fail "not up after ${WAIT_S} s: slurmctld $(alive "$DIR/run/slurmctld.pid" || echo not) running," \
    "slurmd $(alive "$DIR/run/slurmd.pid" || echo not) running, sinfo says node $NODE is '$(node_state)'"
  trap - EXIT
  log "up in $((SECONDS - t0)) s: $(describe)"
}

down() {
  if alive "$DIR/run/slurmctld.pid"; then
    # Cancel every job first: stopping slurmd leaves running jobs' slurmstepd behind.
    squeue -h -o %A 2>/dev/null | sort -u | xargs -r scancel 2>/dev/null || true
    for _ in $(seq 1 30); do [ -z "$(squeue -h -o %i 2>/dev/null)" ] && break; sleep 0.5; done
  fi
  stop_daemons
  if [ "$(readlink "$SYSTEM_CONF" 2>/dev/null)" = "$SLURM_CONF" ]; then rm -f "$SYSTEM_CONF"; fi
  if [ -f "$DIR/.llem-slurm" ]; then rm -rf "$DIR"; fi
  log "down"
}

status() {
  if is_up; then
    log "up: $(describe)"
  else
    log "not up"
    return 1
  fi
}

# wait_for SECONDS WHAT COMMAND...: run COMMAND every half second until it succeeds; fail after SECONDS.
wait_for() {
  local limit=$1 what=$2
  shift 2
  for _ in $(seq 1 "$((limit * 2))"); do "$@" && return 0; sleep 0.5; done
  fail "check: $what not seen within $limit s (job outputs: $(cat "$DIR"/check/*.out 2>/dev/null | tr '\n' ' '))"
}

# count_lines N PATTERN FILES...: at least N of FILES have a line matching PATTERN.
count_lines() {
  local n=$1 pattern=$2
  shift 2
  [ "$(grep -l -- "$pattern" "$@" 2>/dev/null | wc -l)" -ge "$n" ]
}

check() {
  is_up || fail "not up: run '$0 up' first"
  local out=$DIR/check t0=$SECONDS
  rm -rf "$out" && mkdir -p "$out" && cd "$out"

  # 1. An array of three tasks, one stand-in GPU each, all at once: each task records what Slurm gave it
  # (in the batch script and in an srun step), then waits until it sees all three started.
  cat >array.sh <<'EOF'
#!/bin/bash
touch "started_$SLURM_ARRAY_TASK_ID"
step=$(srun bash -c 'echo "SLURM_STEP_GPUS=$SLURM_STEP_GPUS CUDA_VISIBLE_DEVICES=$CUDA_VISIBLE_DEVICES"')
for _ in $(seq 1 40); do [ "$(ls started_* | wc -l)" -ge 3 ] && break; sleep 0.25; done
echo "SLURM_ARRAY_JOB_ID=$SLURM_ARRAY_JOB_ID SLURM_ARRAY_TASK_ID=$SLURM_ARRAY_TASK_ID SLURM_JOB_ID=$SLURM_JOB_ID" \
  "SLURM_JOB_GPUS=${SLURM_JOB_GPUS-unset} CUDA_VISIBLE_DEVICES=${CUDA_VISIBLE_DEVICES-unset}" \
  "SLURM_STEP_GPUS=${SLURM_STEP_GPUS-unset}; in srun: $step; tasks started: $(ls started_* | wc -l)" \
  >"array_$SLURM_ARRAY_TASK_ID.txt"
EOF
  log "1. sbatch --wait --array=0-2 --gres=gpu:1 array.sh"
  timeout 60 sbatch --wait --quiet --array=0-2 --gres=gpu:1 -o "%x-%A_%a.out" array.sh ||
    fail "check: the array job failed"
  sed 's/^/    /' array_*.txt
  [ "$(grep -ho 'SLURM_JOB_GPUS=[0-9]' array_*.txt | sort -u | wc -l)" -eq 3 ] ||
    fail "check: the tasks did not get 3 different GPUs"
  count_lines 3 'tasks started: 3' array_*.txt || fail "check: the tasks did not run at once"

  # 2. Requeue, three ways, all with jobs that trap TERM and USR1: each start logs its SLURM_RESTART_COUNT
  # and SLURM_* environment; a first start waits to be signalled, a restart finishes at once.
  cat >requeue.sh <<'EOF'
#!/bin/bash
log=$SLURM_JOB_NAME${SLURM_ARRAY_TASK_ID:+_$SLURM_ARRAY_TASK_ID}
env | grep ^SLURM_ | sort >"$log.env${SLURM_RESTART_COUNT-}"
echo "$(date +%T) start: SLURM_RESTART_COUNT=${SLURM_RESTART_COUNT-unset} SLURM_JOB_ID=$SLURM_JOB_ID" \
  "SLURM_ARRAY_TASK_ID=${SLURM_ARRAY_TASK_ID-unset} SLURM_JOB_GPUS=${SLURM_JOB_GPUS-unset}" >>"$log.log"
on_signal() {
  echo "$(date +%T) got SIG$1" >>"$log.log"
  if [ "$SLURM_JOB_NAME" = self ]; then
    scontrol requeue "$SLURM_JOB_ID" && echo "$(date +%T) ran scontrol requeue $SLURM_JOB_ID" >>"$log.log"
  fi
  exit 0
}
trap 'on_signal TERM' TERM
trap 'on_signal USR1' USR1
if [ -n "${SLURM_RESTART_COUNT-}" ]; then echo "$(date +%T) restarted: done" >>"$log.log"; exit 0; fi
sleep 600 &
wait
EOF
  log "2. requeue: pre-empted by a job in partition urgent, by scontrol requeue, and by itself before its time limit"
  sbatch --quiet --requeue --array=0-1 --gres=gpu:1 -J preempt -o "%x-%A_%a.out" requeue.sh
  sbatch --quiet --requeue -J external -o "%x-%j.out" requeue.sh
  sbatch --quiet --requeue --time=1 --signal=B:USR1@45 -J self -o "%x-%j.out" requeue.sh
  wait_for 20 "four first starts" count_lines 4 start: preempt_0.log preempt_1.log external.log self.log
  scontrol requeue "$(squeue -h -n external -o %i)"
  # shellcheck disable=SC2016 # expanded in the job
  sbatch --quiet -p urgent --gres=gpu:4 -J urgent -o "%x-%j.out" \
    --wrap 'echo "urgent job: SLURM_JOB_GPUS=$SLURM_JOB_GPUS" >urgent.log; sleep 2'
  wait_for 100 "four finished restarts" count_lines 4 'restarted: done' preempt_0.log preempt_1.log external.log self.log
  for f in preempt_0 preempt_1 external self; do
    grep -q 'start: SLURM_RESTART_COUNT=1 ' "$f.log" || fail "check: $f's restart did not see SLURM_RESTART_COUNT=1"
    echo "    $f:" && sed 's/^/      /' "$f.log"
  done
  sed 's/^/    /' urgent.log
  echo "    SLURM_* environment, first start -> restart (preempt_0):"
  { diff preempt_0.env preempt_0.env1 || true; } | sed -n 's/^[<>]/      &/p'
  grep -E 'preempted|Requeuing' "$DIR/log/slurmctld.log" | tail -n 6 | sed 's/^/    slurmctld: /'
  log "check passed in $((SECONDS - t0)) s (files in $out)"
}

case ${1:-} in
up | down | status | check) "$1" ;;
*) echo "usage: $0 up|down|status|check" >&2; exit 2 ;;
esac
