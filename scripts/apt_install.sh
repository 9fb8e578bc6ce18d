#!/usr/bin/env bash
# apt_install PACKAGE...: install Debian packages quietly, as root, refreshing the package lists only when
# a first attempt fails (a fresh machine's lists may be missing or stale). Returns non-zero when apt-get
# is missing, this is not root, or the install failed. Sourced by the CI scripts (ci_docker.sh,
# ci_podman.sh, ci_test_rootfs.sh); it installs nothing by itself.
apt_install() {
  command -v apt-get >/dev/null 2>&1 || return 1
  [ "$(id -u)" -eq 0 ] || return 1
  export DEBIAN_FRONTEND=noninteractive
  timeout 300 apt-get install -y -qq "$@" >/dev/null 2>&1 && return 0
  timeout 120 apt-get update -qq >/dev/null 2>&1
  timeout 300 apt-get install -y -qq "$@" >/dev/null 2>&1
}
