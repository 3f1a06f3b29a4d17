#!/usr/bin/env bash
# System packages: what Haskell packages commonly link against, plus the agent's tools.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive

echo "packages: waiting for cloud-init to finish (it holds the apt lock on first boot)"
cloud-init status --wait >/dev/null || true

echo "packages: updating the package index"
apt-get update -q

echo "packages: upgrading installed packages"
apt-get -y -q -o Dpkg::Options::=--force-confold dist-upgrade

# virtualbox-guest-utils runs VBoxService, which publishes the VM's IP as a guest property
# (/VirtualBox/GuestInfo/Net/0/V4/IP): the panel finds a bridged VM that way.
packages=(
  build-essential
  libgmp-dev
  zlib1g-dev
  libffi-dev
  libncurses-dev
  libnuma-dev
  pkg-config
  git
  curl
  ca-certificates
  xz-utils
  rsync
  autossh
  openssh-server
  virtualbox-guest-utils
)
echo "packages: installing ${packages[*]}"
apt-get install -y -q --no-install-recommends "${packages[@]}"

echo "packages: done"
