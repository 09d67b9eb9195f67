#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-or-later
#
# A one-node SLURM cluster on this machine, to run `seqnest sweep --cluster slurm`
# end to end without a real cluster (tests, trying the SLURM path on a laptop).
#
#   bash scripts/slurm_local.sh start    # install slurm-wlm and munge if missing, configure,
#                                        # start munged, slurmctld and slurmd, wait until idle
#   bash scripts/slurm_local.sh status   # node state (sinfo)
#   bash scripts/slurm_local.sh env      # print the line that points SLURM's clients here
#   bash scripts/slurm_local.sh stop     # stop the daemons this script started
#
# Everything lives in $SEQNEST_SLURM_DIR (default /tmp/seqnest-slurm): slurm.conf,
# logs, spool and state folders, pid files. The daemons run as background
# processes (no systemd), as root, on the loopback address. SLURM's client
# commands (sbatch, squeue, scancel, sinfo) find the cluster through
# SLURM_CONF=$SEQNEST_SLURM_DIR/slurm.conf (see `env`).
set -euo pipefail

dir="${SEQNEST_SLURM_DIR:-/tmp/seqnest-slurm}"
conf="$dir/slurm.conf"
say() { printf 'slurm_local: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

need_root() {
    [ "$(id -u)" -eq 0 ] || die "run as root (it installs packages and starts SLURM's daemons as root)"
}

install_packages() {
    local pkgs=()
    command -v slurmctld >/dev/null 2>&1 || pkgs+=(slurmctld)
    command -v slurmd >/dev/null 2>&1 || pkgs+=(slurmd)
    command -v sbatch >/dev/null 2>&1 || pkgs+=(slurm-client)
    command -v munged >/dev/null 2>&1 || pkgs+=(munge)
    [ ${#pkgs[@]} -eq 0 ] && return 0
    command -v apt-get >/dev/null 2>&1 || die "missing ${pkgs[*]} and no apt-get: install SLURM and munge"
    say "installing Debian packages: ${pkgs[*]}"
    apt-get update -qq >/dev/null &&
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${pkgs[@]}" >/dev/null ||
        die "apt-get install ${pkgs[*]} failed"
}

start_munge() {
    if pgrep -x munged >/dev/null 2>&1; then
        return 0
    fi
    id munge >/dev/null 2>&1 || die "user munge missing (reinstall the munge package)"
    mkdir -p /etc/munge /run/munge /var/lib/munge /var/log/munge
    if [ ! -s /etc/munge/munge.key ]; then
        dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    fi
    chown munge:munge /etc/munge /etc/munge/munge.key /run/munge /var/lib/munge /var/log/munge
    chmod 0700 /etc/munge /var/lib/munge /var/log/munge
    chmod 0755 /run/munge
    chmod 0400 /etc/munge/munge.key
    runuser -u munge -- /usr/sbin/munged || die "munged did not start (see /var/log/munge/munged.log)"
    touch "$dir/started-munged"
}

write_config() {
    local host cpus mem
    host="$(hostname -s)"
    cpus="$(nproc)"
    # leave a quarter of the memory (at least 1 GB) to the system
    mem="$(awk '/MemTotal/ {m = int($2 / 1024); r = int(m / 4); if (r < 1024) r = 1024; print m - r}' /proc/meminfo)"
    mkdir -p "$dir/state" "$dir/spool" "$dir/log"
    cat > "$conf.tmp" <<EOF
# One-node cluster written by scripts/slurm_local.sh
ClusterName=seqnest
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
SlurmctldPort=6817
SlurmdPort=6818
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SwitchType=switch/none
MpiDefault=none
SchedulerType=sched/backfill
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ReturnToService=2
SlurmctldTimeout=30
SlurmdTimeout=30
InactiveLimit=0
KillWait=5
MinJobAge=30
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    mv "$conf.tmp" "$conf"
}

running() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

node_state() {
    local out
    out="$(SLURM_CONF="$conf" sinfo -h -o %T 2>/dev/null)" || true
    printf '%s\n' "$out" | head -n 1 | tr -d '*~#'
}

start() {
    need_root
    mkdir -p "$dir"
    install_packages
    start_munge
    write_config
    running "$dir/slurmctld.pid" || slurmctld -f "$conf" || die "slurmctld did not start (see $dir/log/slurmctld.log)"
    running "$dir/slurmd.pid" || slurmd -f "$conf" || die "slurmd did not start (see $dir/log/slurmd.log)"
    local state="" i
    for i in $(seq 1 60); do
        state="$(node_state)"
        case "$state" in
            idle|mixed|allocated) say "node $(hostname -s) is $state (SLURM_CONF=$conf)"; return 0 ;;
            down|drained|draining|drain)
                SLURM_CONF="$conf" scontrol update nodename="$(hostname -s)" state=resume 2>/dev/null || true ;;
        esac
        sleep 1
    done
    die "the node did not become idle within 60 s (state: ${state:-unknown}; logs in $dir/log)"
}

stop() {
    if [ -f "$conf" ]; then
        SLURM_CONF="$conf" scontrol shutdown >/dev/null 2>&1 || true
    fi
    local f i
    for f in "$dir/slurmd.pid" "$dir/slurmctld.pid"; do
        for i in $(seq 1 20); do running "$f" || break; sleep 0.5; done
        if running "$f"; then kill "$(cat "$f")" 2>/dev/null || true; fi
    done
    if [ -f "$dir/started-munged" ]; then
        pkill -x munged 2>/dev/null || true
        rm -f "$dir/started-munged"
    fi
    say "stopped"
}

case "${1:-}" in
    start) start ;;
    stop) stop ;;
    status) SLURM_CONF="$conf" sinfo ;;
    env) echo "export SLURM_CONF=$conf" ;;
    *) sed -n '3,17p' "$0"; exit 2 ;;
esac
