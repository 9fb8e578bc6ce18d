#!/usr/bin/env bash
# Builds the fake NVML library from tests/fake_nvml/fake_nvml.c (see tests/fake_nvml/README.md).
#
#   scripts/build_fake_nvml.sh
#       build/fake_nvml/libnvidia-ml.so.1            every symbol
#       build/fake_nvml/libnvidia-ml-old-driver.so   without the entry points newer drivers added
#       build/fake_nvml/libnvidia-ml-no-energy.so    without nvmlDeviceGetTotalEnergyConsumption
#   scripts/build_fake_nvml.sh --omit sym1,sym2 --out path.so
#       the full library as above, plus one variant at path.so (relative to the current folder)
#       that lacks the named symbols
#
# Variants export every symbol of the full library except the omitted ones, through a generated
# linker version script. An output is rebuilt only when it is older than the source or this
# script, or when its exported symbols are not the expected ones. Outputs are written to a
# temporary file and renamed, so concurrent runs do not see half-written libraries.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
script="$repo/scripts/build_fake_nvml.sh"
src="$repo/tests/fake_nvml/fake_nvml.c"
out_dir="$repo/build/fake_nvml"
main="$out_dir/libnvidia-ml.so.1"
cc="${CC:-gcc}"
cflags=(-std=c11 -O2 -Wall -Wextra -Werror -fPIC -shared -Wl,-soname,libnvidia-ml.so.1)

OLD_DRIVER_OMIT="nvmlDeviceGetCurrentClocksEventReasons,nvmlDeviceGetTemperatureV,nvmlDeviceGetMemoryInfo_v2,nvmlDeviceGetComputeRunningProcesses_v3,nvmlInitWithFlags"
NO_ENERGY_OMIT="nvmlDeviceGetTotalEnergyConsumption"

usage() {
  sed -n '2,10s/^# \{0,1\}//p' "$script"
}

die() {
  echo "build_fake_nvml: $*" >&2
  exit 2
}

omit=""
out=""
have_omit=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --omit)
      [[ $# -ge 2 ]] || die "--omit needs a comma-separated list of symbols"
      omit="$2"
      have_omit=1
      shift 2
      ;;
    --omit=*)
      omit="${1#--omit=}"
      have_omit=1
      shift
      ;;
    --out)
      [[ $# -ge 2 ]] || die "--out needs a path"
      out="$2"
      shift 2
      ;;
    --out=*)
      out="${1#--out=}"
      shift
      ;;
    -h | --help)
      usage
      exit 0
      ;;
    *)
      die "unknown argument '$1' (see --help)"
      ;;
  esac
done
if [[ $have_omit -eq 1 && -z "$out" ]]; then die "--omit needs --out"; fi
if [[ -n "$out" && $have_omit -eq 0 ]]; then die "--out needs --omit"; fi
[[ -f "$src" ]] || die "source not found: $src"
command -v "$cc" >/dev/null || die "compiler not found: $cc"
command -v nm >/dev/null || die "nm (binutils) not found"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

show() {
  case "$1" in
    "$repo"/*) printf '%s' "${1#"$repo"/}" ;;
    *) printf '%s' "$1" ;;
  esac
}

# The function symbols a library exports, one per line, sorted.
exports_of() {
  nm -D --defined-only "$1" | awk '$2 == "T" { print $3 }' | LC_ALL=C sort
}

newer_than_inputs() {
  [[ -f "$1" && "$1" -nt "$src" && "$1" -nt "$script" ]]
}

# Compiles to a temporary file beside the output, then renames it into place.
compile() {
  local target="$1"
  shift
  mkdir -p "$(dirname "$target")"
  local tmp
  tmp="$(mktemp "$(dirname "$target")/.fake_nvml.XXXXXX")"
  if ! "$cc" "${cflags[@]}" "$@" -o "$tmp" "$src" -lm; then
    rm -f "$tmp"
    die "compiling $(show "$target") failed"
  fi
  chmod 755 "$tmp"
  mv -f "$tmp" "$target"
}

build_main() {
  if newer_than_inputs "$main"; then
    echo "up to date: $(show "$main")"
    return
  fi
  compile "$main"
  echo "built: $(show "$main") ($(exports_of "$main" | wc -l) symbols)"
}

# build_variant OUT COMMA_SEPARATED_SYMBOLS
build_variant() {
  local target="$1" list="$2"
  local all keep sym
  all="$(exports_of "$main")"
  local -a omitted=()
  IFS=',' read -r -a omitted <<<"$list"
  local -a clean=()
  for sym in "${omitted[@]}"; do
    sym="${sym//[[:space:]]/}"
    [[ -z "$sym" ]] && continue
    grep -qxF -- "$sym" <<<"$all" || die "cannot omit '$sym': the fake does not export it"
    clean+=("$sym")
  done
  [[ ${#clean[@]} -gt 0 ]] || die "--omit names no symbols"
  keep="$(grep -vxF -f <(printf '%s\n' "${clean[@]}") <<<"$all" || true)"

  if newer_than_inputs "$target" && [[ "$(exports_of "$target")" == "$keep" ]]; then
    echo "up to date: $(show "$target")"
    return
  fi
  local map="$work/exports.map"
  {
    echo "{"
    echo "  global:"
    while IFS= read -r sym; do
      [[ -n "$sym" ]] && echo "    $sym;"
    done <<<"$keep"
    echo "  local: *;"
    echo "};"
  } >"$map"
  compile "$target" "-Wl,--version-script=$map"
  [[ "$(exports_of "$target")" == "$keep" ]] || die "$(show "$target") does not export the expected symbols"
  local joined
  joined="$(
    IFS=,
    echo "${clean[*]}"
  )"
  echo "built: $(show "$target") (without $joined)"
}

build_main
if [[ -n "$out" ]]; then
  case "$out" in
    /*) ;;
    *) out="$PWD/$out" ;;
  esac
  build_variant "$out" "$omit"
else
  build_variant "$out_dir/libnvidia-ml-old-driver.so" "$OLD_DRIVER_OMIT"
  build_variant "$out_dir/libnvidia-ml-no-energy.so" "$NO_ENERGY_OMIT"
fi
