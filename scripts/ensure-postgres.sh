#!/usr/bin/env bash
# Makes sure the PostgreSQL server programs are installed, installing Debian's package when they are
# missing and we may (root, or sudo without a password). Sourced by scripts/run and scripts/test.
set -euo pipefail

have_postgres() {
  ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null 2>&1
}

if ! have_postgres; then
  echo "PostgreSQL server programs not found; installing Debian's postgresql package..." >&2
  if [ "$(id -u)" -eq 0 ]; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
    sudo apt-get update -qq && sudo DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  else
    echo "Install PostgreSQL (apt-get install -y postgresql) or set DATABASE_URL, then run this again." >&2
    exit 1
  fi
fi

# PostgreSQL refuses to run as root; as root, apex and the tests run it as the 'postgres' account.
if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
  echo "Running as root, but the 'postgres' account is missing: reinstall Debian's postgresql package." >&2
  exit 1
fi
