#!/usr/bin/env bash
# Make Podman and the container test image ready for the container tests (tests/container_session_test.ts,
# tests/run_study_container_test.ts, tests/llem_killed_test.ts), rootful and, where this machine allows it,
# rootless. Idempotent; reruns take a few seconds.
#
# - Installs podman, and catatonit when missing: Podman's --init runs /usr/libexec/podman/catatonit, and
#   Debian's podman only recommends it (tini, which docker.io brings, satisfies that recommendation, but
#   Podman does not run tini).
# - Loads the test image of scripts/ci_test_rootfs.sh (Debian minbase + python3, the very root filesystem
#   ci_docker.sh imports into Docker) into root's store as llem-test-engine:<hash>; the tag goes to
#   build/podman_test_image.
# - Rootful Podman gives a container 1048576 open files and processes, which runc can set only with
#   CAP_SYS_RESOURCE. Where root lacks it (this machine is itself a container or a sandbox) every container
#   fails with "error setting rlimit"; then this script writes /etc/containers/containers.conf.d/llem-ci.conf
#   with this machine's own limits as default_ulimits, and says so.
# - GPUs by CDI: writes the stand-in CDI spec (scripts/stand_in_cdi_spec.ts) for the NVML stand-in's GPUs to
#   /var/run/cdi/llem-standin.json, and the device nodes it names (copies of /dev/null), so that
#   `--device nvidia.com/gpu=UUID` resolves through Podman's real CDI code; an unknown UUID is refused by
#   Podman itself. Where another spec already defines nvidia.com/gpu (a real NVIDIA Container Toolkit), it
#   writes nothing, and the tests that need the stand-in's GPUs skip.
# - Rootless: a user llem-rootless with subordinate ids, a runtime folder /run/user/UID (as a login makes
#   it) and the image in its own store. On success build/podman_rootless_user names the user; otherwise
#   build/podman_rootless_unavailable says why.
#
# It never fails CI: where Podman cannot work here it prints one line saying why and exits 0 (the Podman
# variants of the container tests then report themselves as skipped).
set -uo pipefail
SELF=$(readlink -f "$0")
cd "$(dirname "$SELF")/.." || { echo "ci_podman: Podman tests will be skipped: cannot cd to the repository"; exit 0; }
# shellcheck source=scripts/apt_install.sh
. scripts/apt_install.sh

CACHE=${LLEM_CI_CACHE:-/var/cache/llem-ci}
TAG_FILE=build/podman_test_image
ROOTLESS_USER_FILE=build/podman_rootless_user
ROOTLESS_SKIP_FILE=build/podman_rootless_unavailable
ROOTLESS_USER=llem-rootless
IMAGE_REPO=llem-test-engine
ULIMITS_CONF=/etc/containers/containers.conf.d/llem-ci.conf
CDI_SPEC=/var/run/cdi/llem-standin.json
DENO=./node_modules/.bin/deno

log() { echo "ci_podman: $*"; }

give_up() {
  rm -f "$TAG_FILE" "$ROOTLESS_USER_FILE"
  echo "ci_podman: Podman tests will be skipped: $*"
  exit 0
}

# Rootless Podman cannot work here: say why (the tests print it), and carry on with the rest.
no_rootless() {
  rm -f "$ROOTLESS_USER_FILE"
  echo "$*" >"$ROOTLESS_SKIP_FILE"
  log "rootless Podman will be skipped: $*"
}

# Runs a command as the rootless user, with a login's environment (HOME, USER, PATH, XDG_RUNTIME_DIR).
# Without XDG_RUNTIME_DIR, rootless Podman keeps runc's state under $TMPDIR/podman-run-UID, and a podman
# with another TMPDIR can then neither stop nor remove those containers.
AS_ROOTLESS=()
as_rootless_prefix() {
  local run_dir
  run_dir=/run/user/$(id -u "$ROOTLESS_USER")
  # What pam_systemd makes at login: the user's own 0700 runtime folder.
  install -d -m 700 -o "$ROOTLESS_USER" -g "$ROOTLESS_USER" "$run_dir" || return 1
  AS_ROOTLESS=(setpriv --reuid="$ROOTLESS_USER" --regid="$ROOTLESS_USER" --init-groups --reset-env
    env XDG_RUNTIME_DIR="$run_dir")
}

# Start a throwaway container of the image; its stderr's last line on failure.
smoke() {
  local out
  out=$(timeout 120 "$@" run --rm --network none "$tag" true 2>&1 >/dev/null) && return 0
  echo "$out" | tail -n 1 | cut -c1-300
  return 1
}

# Import the test image into the store of the Podman command "$@" unless it holds it already.
load_image() {
  "$@" image inspect "$tag" >/dev/null 2>&1 && return 0
  timeout 300 "$@" import --change "LABEL io.llem.test-image=$hash" - "$tag" <"$tarball" >/dev/null 2>&1 ||
    return 1
  # Drop images built from older inputs.
  local older
  mapfile -t older < <("$@" image ls --format '{{.Repository}}:{{.Tag}}' | grep -E "(^|/)$IMAGE_REPO:" |
    grep -v ":$hash$")
  [ "${#older[@]}" -eq 0 ] || "$@" rmi "${older[@]}" >/dev/null 2>&1
  return 0
}

# default_ulimits from this machine's limits, for a root that cannot raise them (see the header).
write_ulimits_conf() {
  local nofile nproc pid_max
  nofile=$(ulimit -Hn)
  nproc=$(ulimit -Hu)
  pid_max=$(cat /proc/sys/kernel/pid_max)
  # Podman lowers its own process limit to pid_max before it starts a container.
  if [ "$nproc" = unlimited ] || [ "$nproc" -gt "$pid_max" ]; then nproc=$pid_max; fi
  mkdir -p "$(dirname "$ULIMITS_CONF")"
  cat >"$ULIMITS_CONF" <<CONF
# Written by llem's scripts/ci_podman.sh: root here cannot raise its limits (no CAP_SYS_RESOURCE), so
# containers get this machine's own instead of rootful Podman's default of 1048576.
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]
CONF
  log "root cannot raise its limits here: wrote $ULIMITS_CONF (nofile $nofile, nproc $nproc)"
}

# The stand-in CDI spec and its device nodes (see the header).
write_cdi_spec() {
  local other node
  other=$(grep -lsE 'nvidia\.com/gpu' /etc/cdi/* /var/run/cdi/* 2>/dev/null | grep -vx "$CDI_SPEC" | head -n 1)
  if [ -n "$other" ]; then
    rm -f "$CDI_SPEC"
    log "$other already defines nvidia.com/gpu devices: no stand-in CDI spec (the stand-in GPU tests skip)"
    return 0
  fi
  [ -x "$DENO" ] || { log "no $DENO (npm ci): no stand-in CDI spec"; return 0; }
  local nodes
  mapfile -t nodes < <("$DENO" run -A scripts/stand_in_cdi_spec.ts "$CDI_SPEC" 2>"$CACHE/cdi.err")
  [ "${#nodes[@]}" -gt 0 ] ||
    { log "could not write the stand-in CDI spec: $(tail -n 1 "$CACHE/cdi.err")"; return 0; }
  for node in "${nodes[@]}"; do
    # A character device like /dev/null (1:3): anything the container writes to it goes nowhere.
    [ -c "$node" ] || mknod -m 666 "$node" c 1 3 || { log "could not make $node"; return 0; }
  done
  log "stand-in CDI spec $CDI_SPEC: ${#nodes[@]} GPUs, device nodes ${nodes[*]}"
}

# A user with subordinate ids, the image in its store, and one container started: else why not.
prepare_rootless() {
  rm -f "$ROOTLESS_SKIP_FILE"
  command -v setpriv >/dev/null 2>&1 || { no_rootless "no setpriv (util-linux) to run podman as $ROOTLESS_USER"; return; }
  if ! command -v newuidmap >/dev/null 2>&1; then
    apt_install uidmap || { no_rootless "no newuidmap: could not install uidmap"; return; }
  fi
  if ! id "$ROOTLESS_USER" >/dev/null 2>&1; then
    useradd --create-home --shell /usr/sbin/nologin "$ROOTLESS_USER" ||
      { no_rootless "could not create the user $ROOTLESS_USER"; return; }
  fi
  if ! grep -q "^$ROOTLESS_USER:" /etc/subuid || ! grep -q "^$ROOTLESS_USER:" /etc/subgid; then
    no_rootless "$ROOTLESS_USER has no subordinate ids in /etc/subuid and /etc/subgid"
    return
  fi
  as_rootless_prefix || { no_rootless "could not make $ROOTLESS_USER's runtime folder under /run/user"; return; }
  "${AS_ROOTLESS[@]}" test -r engines/harness.py ||
    { no_rootless "$ROOTLESS_USER cannot read $(pwd)/engines (the harness is mounted from there)"; return; }
  load_image "${AS_ROOTLESS[@]}" podman || { no_rootless "podman import as $ROOTLESS_USER failed"; return; }
  local why
  why=$(smoke "${AS_ROOTLESS[@]}" podman) || { no_rootless "a container of $ROOTLESS_USER does not start: $why"; return; }
  echo "$ROOTLESS_USER" >"$ROOTLESS_USER_FILE"
  log "rootless Podman works as $ROOTLESS_USER"
}

if [ "$(uname -s)" != "Linux" ]; then give_up "not Linux ($(uname -s))"; fi
[ "$(id -u)" -eq 0 ] || give_up "this script sets up rootful and rootless Podman, which needs root"
mkdir -p "$CACHE" build 2>/dev/null || give_up "cannot create $CACHE"
exec 9>"$CACHE/podman.lock"
flock -w 300 9 || give_up "another ci_podman.sh held $CACHE/podman.lock for 5 minutes"

# 1. Podman, and the init it runs for --init.
if ! command -v podman >/dev/null 2>&1 || [ ! -x /usr/libexec/podman/catatonit ]; then
  log "installing podman and catatonit"
  apt_install podman catatonit || give_up "could not install podman and catatonit with apt-get"
fi
log "$(podman --version)"

# 2. The test image in root's store, and a container that starts.
hash=$(bash scripts/ci_test_rootfs.sh --hash)
tag="$IMAGE_REPO:$hash"
tarball=$(bash scripts/ci_test_rootfs.sh 2>"$CACHE/rootfs.err") || give_up "$(tail -n 1 "$CACHE/rootfs.err")"
cat "$CACHE/rootfs.err"
load_image podman || give_up "podman import of $tarball failed"
if ! why=$(smoke podman); then
  case "$why" in
    *"error setting rlimit"*) write_ulimits_conf ;;
    *) give_up "a container does not start: $why" ;;
  esac
  why=$(smoke podman) || give_up "a container does not start: $why"
fi
echo "$tag" >"$TAG_FILE"
log "test image $tag ready"

# 3. GPUs by CDI, then 4. rootless.
write_cdi_spec
prepare_rootless
exit 0
