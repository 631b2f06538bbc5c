#!/bin/sh
# Installs and starts what @tscog/image's real-component tests need:
# a Docker engine (dockerd), a registry (docker-registry), skopeo and htpasswd.
# Idempotent; run as root (CI containers are). Called from .ci/run.
set -eu

need=""
command -v dockerd >/dev/null 2>&1 || need="$need docker.io"
command -v docker-registry >/dev/null 2>&1 || need="$need docker-registry"
command -v skopeo >/dev/null 2>&1 || need="$need skopeo"
command -v htpasswd >/dev/null 2>&1 || need="$need apache2-utils"
if [ -n "$need" ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get -o DPkg::Lock::Timeout=600 install -y $need || { apt-get update && apt-get -o DPkg::Lock::Timeout=600 install -y $need; }
fi

# The registry package starts a system service where systemd runs; tests start their own.
if ! docker info >/dev/null 2>&1; then
  if [ "$(id -u)" != 0 ]; then
    echo "ci-services: dockerd is not running and only root can start it" >&2
    exit 1
  fi
  nohup dockerd >/tmp/dockerd.log 2>&1 &
  i=0
  until docker info >/dev/null 2>&1; do
    i=$((i + 1))
    if [ "$i" -gt 60 ]; then
      echo "ci-services: dockerd did not start in 60s; see /tmp/dockerd.log" >&2
      tail -20 /tmp/dockerd.log >&2 || true
      exit 1
    fi
    sleep 1
  done
fi
echo "ci-services: docker $(docker info --format '{{.ServerVersion}}'), $(docker-registry --version 2>/dev/null | head -1), skopeo $(skopeo --version | awk '{print $3}')"
