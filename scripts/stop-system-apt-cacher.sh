#!/usr/bin/env bash
# The lab runs its own apt-cacher-ng per lab, on its bridge address. Debian's package also starts
# the machine's own one on every address at the same port (systemd enables it), which the lab's
# preflight refuses. A script that has just installed the package runs this to stop and disable
# that one; one the machine had before is its owner's, and left alone (the preflight says what to do).
if [ -d /run/systemd/system ]; then
  systemctl disable --now apt-cacher-ng.service >/dev/null 2>&1 || true
elif [ -x /etc/init.d/apt-cacher-ng ]; then
  /etc/init.d/apt-cacher-ng stop >/dev/null 2>&1 || true
  update-rc.d apt-cacher-ng disable >/dev/null 2>&1 || true
fi
