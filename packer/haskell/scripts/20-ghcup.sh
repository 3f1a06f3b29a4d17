#!/usr/bin/env bash
# GHCup, the requested GHC versions and cabal for the build user, without any prompt.
set -euo pipefail

: "${BUILD_USER:?BUILD_USER is not set}"
: "${GHC_VERSIONS:?GHC_VERSIONS is not set (space-separated, default first)}"
: "${CABAL_VERSION:?CABAL_VERSION is not set}"

read -r -a ghc_versions <<<"$GHC_VERSIONS"
default_ghc="${GHC_DEFAULT:-${ghc_versions[0]}}"
user_home="$(getent passwd "$BUILD_USER" | cut -d: -f6)"
ghcup="$user_home/.ghcup/bin/ghcup"

as_user() {
  runuser -u "$BUILD_USER" -- env HOME="$user_home" PATH="$user_home/.ghcup/bin:/usr/bin:/bin" "$@"
}

bootstrap="$(mktemp)"
trap 'rm -f "$bootstrap"' EXIT
chmod 0644 "$bootstrap"

echo "ghcup: downloading the bootstrap script"
curl --proto '=https' --tlsv1.2 -fsSL https://get-ghcup.haskell.org -o "$bootstrap"

# The bootstrap script installs ghcup itself, one GHC and cabal, and writes ~/.ghcup/env.
echo "ghcup: installing ghcup, GHC $default_ghc and cabal $CABAL_VERSION for $BUILD_USER"
as_user env \
  BOOTSTRAP_HASKELL_NONINTERACTIVE=1 \
  BOOTSTRAP_HASKELL_GHC_VERSION="$default_ghc" \
  BOOTSTRAP_HASKELL_CABAL_VERSION="$CABAL_VERSION" \
  BOOTSTRAP_HASKELL_INSTALL_NO_STACK=1 \
  sh "$bootstrap"

for version in "${ghc_versions[@]}"; do
  if [[ "$version" == "$default_ghc" ]]; then
    continue
  fi
  echo "ghcup: installing GHC $version"
  as_user "$ghcup" install ghc "$version"
done

echo "ghcup: making GHC $default_ghc the default ghc"
as_user "$ghcup" set ghc "$default_ghc"

echo "ghcup: fetching the Hackage index so the first remote build starts sooner"
as_user "$user_home/.ghcup/bin/cabal" update

echo "ghcup: removing download caches and temporary files"
as_user "$ghcup" gc --cache --tmpdirs

# Non-interactive `ssh haskell-build cabal build` reads ~/.bashrc but stops at its interactive
# guard, so the GHCup environment goes on the first line, before that guard.
bashrc="$user_home/.bashrc"
# $HOME must expand when the line runs at login, not now.
# shellcheck disable=SC2016
env_line='[ -f "$HOME/.ghcup/env" ] && . "$HOME/.ghcup/env" # ghcup-env'
if ! grep -qF '# ghcup-env' "$bashrc" 2>/dev/null; then
  echo "ghcup: adding ~/.ghcup/env to the top of $bashrc"
  { printf '%s\n' "$env_line"; cat "$bashrc" 2>/dev/null || true; } >"$bashrc.new"
  chown "$BUILD_USER:$BUILD_USER" "$bashrc.new"
  mv "$bashrc.new" "$bashrc"
fi

echo "ghcup: installed GHC versions:"
for version in "${ghc_versions[@]}"; do
  as_user "$user_home/.ghcup/bin/ghc-$version" --numeric-version
done
echo "ghcup: done"
