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
for service in "$@"; do
  # systemctl only where systemd runs the machine (PID 1 is something else in many containers), and
  # only where it works; else the SysV script, through `service`.
  if [ -d /run/systemd/system ] && systemctl disable --now "$service.service" >/dev/null 2>&1; then continue; fi
  service "$service" stop >/dev/null 2>&1
  update-rc.d "$service" disable >/dev/null 2>&1
done
exit 0
