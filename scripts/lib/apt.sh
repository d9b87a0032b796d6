# Debian packages for the project's own set-up, sourced by scripts/ensure_*.sh:
#   apt_install <tag> <package>...   apt-get install as root, or through sudo when not root
# (stack.sh keeps its own for Postgres, Java and Maven).

apt_install() {
  local tag=$1
  shift
  run_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"
    elif command -v sudo >/dev/null 2>&1; then sudo "$@"
    else echo "[$tag] ERROR: need root to run: $*" >&2; exit 1; fi
  }
  echo "[$tag] installing (apt): $*"
  run_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  run_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
    "$@" >/dev/null
}
