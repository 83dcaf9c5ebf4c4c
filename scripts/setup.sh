#!/usr/bin/env bash
# Installs the system packages openeo-local needs (Debian/Ubuntu) when they are missing.
set -euo pipefail
packages=(libgdal-dev libhdf5-dev gdal-bin pkg-config netcdf-bin libsqlite3-dev python3-venv python3-gdal ca-certificates)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  echo "installing ${missing[*]}" >&2
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
command -v cargo >/dev/null || { echo "cargo (Rust >= 1.91) is required" >&2; exit 1; }
