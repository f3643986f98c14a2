# tools/lib.sh: what tools/test and tools/demo share. Sourced, not run.

# Debian 12 packages the build, the tests and the demo need.
COFFER_PACKAGES=(
  build-essential clang libclang-rt-14-dev meson ninja-build pkg-config
  libglib2.0-dev libglib2.0-bin libsoup-3.0-dev libjson-glib-dev libpq-dev
  libcurl4-openssl-dev libssl-dev libgtk-4-dev libadwaita-1-dev libsystemd-dev
  gettext desktop-file-utils appstream postgresql xvfb xauth dbus-daemon
  librsvg2-common curl ca-certificates glib-networking openssl
)

# Quiet when all is well; the compiler's words when not.
run_quietly() {
  local log
  log=$(mktemp)
  if ! "$@" >"$log" 2>&1; then cat "$log" >&2; rm -f "$log"; return 1; fi
  rm -f "$log"
}

say() { printf '\033[1m%s\033[0m\n' "$*" >&2; }

# Installs what is missing: with apt-get when root, otherwise prints the one
# command to run and stops.
ensure_packages() {
  local missing=() pkg
  for pkg in "${COFFER_PACKAGES[@]}" "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  if [ "$(id -u)" -ne 0 ]; then
    say "Missing packages. Install them with:"
    echo "  sudo apt-get install --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
  say "Installing ${#missing[@]} package(s): ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq >/dev/null
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}
