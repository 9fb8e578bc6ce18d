#!/usr/bin/env bash
# Make a Docker daemon and the container test image ready for the container tests (tests/container_test_runtime.ts).
#
# Idempotent: installs docker.io when missing, starts dockerd when no daemon answers, and imports the
# test image (Debian minbase + python3, from the debootstrap root filesystem of scripts/ci_test_rootfs.sh:
# no container registry needed) only when no image is tagged with the hash of its inputs. The root
# filesystem is cached as a tarball under $LLEM_CI_CACHE (default /var/cache/llem-ci), so reruns take
# seconds. On success the image tag is written to build/docker_test_image.
#
# GPUs for containers: Docker's `--gpus` works only when dockerd finds the NVIDIA Container Toolkit's
# `nvidia-container-runtime-hook` on its PATH. Where no real toolkit is installed and this script starts
# dockerd, it puts a stand-in hook first on dockerd's PATH ($CACHE/standin-toolkit): Docker then takes
# `--gpus "device=UUID"` by its real code path (it sets NVIDIA_VISIBLE_DEVICES and runs the hook before
# the container starts); the stand-in logs the call and mounts nothing, since there is no GPU here.
# A daemon this script did not start is never restarted or changed.
#
# It never fails CI: where Docker cannot work here it prints one line saying why, stops any daemon it
# started, and exits 0 (the container tests then report themselves as skipped).
set -uo pipefail
SELF=$(readlink -f "$0")
cd "$(dirname "$SELF")/.." || { echo "ci_docker: Docker tests will be skipped: cannot cd to the repository"; exit 0; }
# shellcheck source=scripts/apt_install.sh
. scripts/apt_install.sh

CACHE=${LLEM_CI_CACHE:-/var/cache/llem-ci}
TAG_FILE=build/docker_test_image
IMAGE_REPO=llem-test-engine
DAEMON_WAIT_S=${LLEM_CI_DOCKER_WAIT_S:-30}

started_pid=""
STANDIN_DIR="$CACHE/standin-toolkit"
PID_FILE="$CACHE/dockerd.pid"

log() { echo "ci_docker: $*"; }

# Stop a dockerd this script started (and the containerd it spawned), so nothing is left half-started.
stop_started_daemon() {
  [ -n "$started_pid" ] || return 0
  local children
  children=$(pgrep -P "$started_pid" 2>/dev/null || true)
  kill -TERM "$started_pid" 2>/dev/null
  for _ in $(seq 1 50); do
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.2
  done
  kill -KILL "$started_pid" 2>/dev/null
  for child in $children; do kill -KILL "$child" 2>/dev/null; done
  started_pid=""
}

# One clear line, nothing half-started, exit 0.
give_up() {
  stop_started_daemon
  rm -f "$TAG_FILE"
  echo "ci_docker: Docker tests will be skipped: $*"
  exit 0
}

daemon_answers() { timeout 5 docker info >/dev/null 2>&1; }

# Start dockerd in the background with extra flags; wait (bounded) until `docker info` answers.
try_start_daemon() {
  local attempt=$1
  shift
  local daemon_log="$CACHE/dockerd.log"
  echo "== $(date -u +%FT%TZ) dockerd $*" >>"$daemon_log"
  local first_line
  first_line=$(wc -l <"$daemon_log")
  local path=$PATH
  if ! command -v nvidia-container-runtime-hook >/dev/null 2>&1; then
    write_standin_hook
    path="$STANDIN_DIR:$PATH"
  fi
  PATH=$path setsid dockerd "$@" </dev/null >>"$daemon_log" 2>&1 9>&- & # 9>&-: the daemon must not hold the lock
  started_pid=$!
  echo "$started_pid" >"$PID_FILE"
  for _ in $(seq 1 $((DAEMON_WAIT_S * 2))); do
    if daemon_answers; then
      log "dockerd started (attempt $attempt: dockerd${*:+ $*}; log $daemon_log)"
      return 0
    fi
    kill -0 "$started_pid" 2>/dev/null || break
    sleep 0.5
  done
  if kill -0 "$started_pid" 2>/dev/null; then
    why="dockerd did not answer within ${DAEMON_WAIT_S}s"
  else
    why="dockerd exited"
  fi
  local said
  said=$(tail -n +"$((first_line + 1))" "$daemon_log" | grep -E 'level=(fatal|error)|failed to start' |
    tail -n 1 | cut -c1-300)
  why="$why (dockerd $*)${said:+: $said}"
  stop_started_daemon
  return 1
}

# The stand-in for the NVIDIA Container Toolkit's prestart hook (see the header).
write_standin_hook() {
  mkdir -p "$STANDIN_DIR"
  cat >"$STANDIN_DIR/nvidia-container-runtime-hook" <<HOOK
#!/bin/sh
# Stand-in for the NVIDIA Container Toolkit hook (written by scripts/ci_docker.sh): no GPU here, so it
# mounts nothing; it reads the OCI state runc passes and logs that it was called.
state=\$(/bin/cat)
echo "\$(/bin/date -u +%FT%TZ) \$1 \$state" >>"$STANDIN_DIR/hook.log"
exit 0
HOOK
  chmod 755 "$STANDIN_DIR/nvidia-container-runtime-hook"
}

# Whether the running daemon was started by this script (its pid file names a live dockerd).
daemon_is_ours() {
  local pid
  pid=$(cat "$PID_FILE" 2>/dev/null) || return 1
  [ -n "$pid" ] && [ "$(cat /proc/"$pid"/comm 2>/dev/null)" = dockerd ]
}

# Whether that daemon was started before it had the stand-in hook on its PATH.
daemon_lacks_gpu_hook() {
  local pid
  pid=$(cat "$PID_FILE")
  command -v nvidia-container-runtime-hook >/dev/null 2>&1 && return 1
  ! tr '\0' '\n' <"/proc/$pid/environ" 2>/dev/null | grep -q "^PATH=$STANDIN_DIR:"
}

if [ "$(uname -s)" != "Linux" ]; then give_up "not Linux ($(uname -s))"; fi
mkdir -p "$CACHE" build 2>/dev/null || give_up "cannot create $CACHE"

# One run at a time (two CI jobs on one machine would race for the daemon and the image).
exec 9>"$CACHE/lock"
flock -w 300 9 || give_up "another ci_docker.sh held $CACHE/lock for 5 minutes"

# 1. A daemon that answers (one this script started without the stand-in hook is restarted with it).
if daemon_answers && daemon_is_ours && daemon_lacks_gpu_hook; then
  log "restarting the dockerd this script started, to give it the stand-in GPU hook"
  started_pid=$(cat "$PID_FILE")
  stop_started_daemon
  for _ in $(seq 1 20); do daemon_answers || break; sleep 0.5; done
fi
if ! daemon_answers; then
  [ "$(id -u)" -eq 0 ] || give_up "no Docker daemon answers and this user (uid $(id -u)) cannot start one"
  if ! command -v dockerd >/dev/null 2>&1 || ! command -v docker >/dev/null 2>&1; then
    log "installing docker.io"
    apt_install docker.io || give_up "could not install docker.io with apt-get"
  fi
  why=""
  if ! try_start_daemon 1; then
    # Sandboxes without iptables or overlayfs: no bridge networking (tests use --network none), vfs.
    try_start_daemon 2 --iptables=false --ip6tables=false --bridge=none --storage-driver=vfs ||
      give_up "$why; log $CACHE/dockerd.log"
  fi
fi
started_pid="" # the daemon works: it stays up for the tests

# 2. The test image, tagged with the hash of its inputs.
hash=$(bash scripts/ci_test_rootfs.sh --hash)
tag="$IMAGE_REPO:$hash"
if docker image inspect "$tag" >/dev/null 2>&1; then
  echo "$tag" >"$TAG_FILE"
  log "test image $tag present"
  exit 0
fi
tarball=$(bash scripts/ci_test_rootfs.sh 2>"$CACHE/rootfs.err") || give_up "$(tail -n 1 "$CACHE/rootfs.err")"
cat "$CACHE/rootfs.err"
timeout 300 docker import --change "LABEL io.llem.test-image=$hash" "$tarball" "$tag" >/dev/null 2>&1 ||
  give_up "docker import of $tarball failed"
# Drop images built from older inputs.
docker image ls "$IMAGE_REPO" --format '{{.Repository}}:{{.Tag}}' | grep -vx "$tag" |
  xargs -r docker rmi >/dev/null 2>&1
echo "$tag" >"$TAG_FILE"
log "test image $tag built"
exit 0
