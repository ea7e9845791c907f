#!/bin/sh
# Installs the Debian packages the compatibility, differential and benchmark
# suites compare against (real etcd 3.4 and its etcdctl), and python-etcd3
# (a third-party client the TLS and auth suites drive), if missing.
# Idempotent; needs root or sudo the first time.
set -eu
need=""
[ -x /usr/bin/etcd ] || need="$need etcd-server"
[ -x /usr/bin/etcdctl ] || need="$need etcd-client"
[ -f /usr/lib/python3/dist-packages/etcd3/__init__.py ] || need="$need python3-etcd3"
[ -z "$need" ] && exit 0
SUDO=""
[ "$(id -u)" -ne 0 ] && SUDO=sudo
echo "installing Debian packages:$need" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get install -y $need >/dev/null || { $SUDO apt-get update >/dev/null && $SUDO apt-get install -y $need >/dev/null; }
