#!/usr/bin/env bash
# The README's main command: on a fresh Debian 12 machine (as root), install what the lab needs
# (Debian packages and npm dependencies, at the same time),
# build a local lab fleet of real nodes (systemd containers with sshd), apply its topology with
# gridops (base setup and the gridagent overlay daemon), and show the grid's status with the
# super peer each sub-grid elected. Re-running it is safe: every step converges.
set -euo pipefail
cd "$(dirname "$0")/.."

NODES="${GRIDOPS_DEMO_NODES:-6}"
LAB_DIR="${GRIDOPS_LAB_DIR:-$HOME/.cache/gridops/lab}"

if [ "$(id -u)" != 0 ]; then
  echo "the demo builds network namespaces and containers: run it as root (sudo npm run demo)" >&2
  exit 1
fi

# What `gridops lab up --kind container` needs on the host (src/lab/preflight.ts; a unit test keeps
# the two the same): the ssh client, not the server, so the machine gets no sshd of its own.
PACKAGES=(openssh-client debootstrap mmdebstrap systemd-container apt-cacher-ng dnsmasq-base iproute2 util-linux)
need=()
for p in "${PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || need+=("$p")
done
# The host's packages and the npm dependencies install at the same time: both mostly wait on
# downloads and unpacking, and on a fresh machine they are the demo's first minute.
apt_pid=""
if [ ${#need[@]} -gt 0 ]; then
  echo "installing ${need[*]}"
  (
    set -o pipefail
    { apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${need[@]}"; } 2>&1 | sed -u 's/^/apt: /'
  ) &
  apt_pid=$!
fi
# Waits for the packages, then stops the machine-wide apt-cacher-ng service Debian's package starts
# (it would hold the port the lab's own proxies use; the script says why). Also on an early exit (npm
# failed while apt ran): apt is left to finish rather than interrupted mid-dpkg, and its service stopped.
apt_status=0
finish_packages() {
  if [ -n "$apt_pid" ]; then
    wait "$apt_pid" || apt_status=$?
    apt_pid=""
  fi
  if [[ " ${need[*]} " == *" apt-cacher-ng "* ]] && dpkg -s apt-cacher-ng >/dev/null 2>&1; then scripts/stop-system-service.sh apt-cacher-ng; fi
}
trap finish_packages EXIT
# npm ci builds ssh2's optional binding with node-gyp: against the running Node's own headers, never
# ones downloaded from nodejs.org (scripts/npm-nodedir.js says how).
export npm_config_nodedir="${npm_config_nodedir:-$(node scripts/npm-nodedir.js)}"
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci # builds too (prepare)
else
  # Always: after a `git pull` the sources may be newer than dist, and the build takes about 7 s
  # (unchanged sources give the same dist/build-id, so nothing kept between runs is dropped).
  npm run build
fi
trap - EXIT
finish_packages
if [ "$apt_status" != 0 ]; then
  echo "installing ${need[*]} failed (see the apt: lines above)" >&2
  exit 1
fi

./bin/run.js lab up --kind container --nodes "$NODES" --subgrids 2 --dir "$LAB_DIR"
./bin/run.js validate "$LAB_DIR/topology.yaml"
# Plain apply runs the grid's whole workflow: node-base (modules, identity), hypervisor (libvirt, the
# isolated grid network and the sandbox VM under TCG), qos (grid.slice with the CPU, memory and
# egress share) and agent (gridagent on the nodes' own Node.js, its config and the grid key). The plan
# shows the initial super peers elected from facts; apply ends by asking the agents until the overlay
# converged. status then shows each node's role and its sandbox VM (running, qemu, 1 vCPU, 128 MiB).
./bin/run.js apply "$LAB_DIR/topology.yaml" --yes
./bin/run.js status "$LAB_DIR/topology.yaml" --wait 60s
echo
echo "the lab keeps running; remove it with: ./bin/run.js lab down --dir $LAB_DIR"
