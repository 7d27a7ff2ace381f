#!/usr/bin/env bash
# Stops and disables system services that Debian's packages start on their own, for the scripts that
# have just installed those packages (scripts/demo.sh, .ci/run):
# - apt-cacher-ng: the lab runs its own per lab, on its bridge address; the machine-wide one listens
#   on every address at the same port, which the lab's preflight refuses.
# - ssh: the tests start /usr/sbin/sshd themselves, on ports of their own; the package would also
#   leave the machine running an sshd of its own, on port 22 of every address.
# A service the machine had before is its owner's: the callers run this only for a package they
# installed (for apt-cacher-ng, the preflight says what to do).
#
#   scripts/stop-system-service.sh SERVICE...
#
# Never fails: a service left running is no reason to fail a demo or CI.
#
# SYSTEMD_RUN_DIR (default /run/systemd/system) is where systemd marks that it runs the machine; the
# tests point it elsewhere to check the systemd path on any machine.
systemd_run_dir=${SYSTEMD_RUN_DIR:-/run/systemd/system}
for service in "$@"; do
  # systemctl only where systemd runs the machine (PID 1 is something else in many containers), and
  # only where it works; else the SysV script, through `service`.
  if [ -d "$systemd_run_dir" ]; then
    # Socket-activated (Ubuntu 22.10+'s ssh.socket), systemd itself listens on the port and starts
    # the service at the next connection: the socket goes first, where the unit exists.
    if systemctl cat "$service.socket" >/dev/null 2>&1; then systemctl disable --now "$service.socket" >/dev/null 2>&1; fi
    if systemctl disable --now "$service.service" >/dev/null 2>&1; then continue; fi
  fi
  service "$service" stop >/dev/null 2>&1
  update-rc.d "$service" disable >/dev/null 2>&1
done
exit 0
