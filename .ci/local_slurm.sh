#!/usr/bin/env bash
# A real single-node SLURM cluster on this machine, for the SLURM test (tests/test_slurm.py).
#
#   .ci/local_slurm.sh up     install (Debian: slurm-wlm, slurmdbd, munge, MariaDB) and start
#                             munged, MariaDB, slurmdbd, slurmctld and slurmd; prints SLURM READY
#   .ci/local_slurm.sh down   cancel jobs and stop exactly the daemons `up` started
#
# Needs root and apt (no systemd: every daemon is started by hand). Accounting goes through
# slurmdbd, so `sacct` answers as on a real cluster and the executor plugin's default job-status
# query works. Everything lives under $SLURM_LAB (default /tmp/dlgenomics_slurm) except the apt
# packages and the symlink /etc/slurm/slurm.conf: the plugin's job step drops SLURM_CONF from
# the environment before its `srun`, so the config has to be at the default path.
set -euo pipefail

LAB=${SLURM_LAB:-/tmp/dlgenomics_slurm}
CONF=$LAB/etc/slurm.conf
MUNGE_SOCKET=$LAB/munge/munge.socket
DB_SOCKET=$LAB/mysql/mysqld.sock
DB_PORT=${SLURM_LAB_DB_PORT:-3306}
export SLURM_CONF=$CONF

say() { echo "[local_slurm] $*"; }
die() {
    say "ERROR: $*"
    for log in "$LAB"/log/*.log; do [ -f "$log" ] && { echo "== $log"; tail -n 15 "$log"; }; done
    exit 1
}
alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
wait_for() {  # seconds, command...: poll every 0.25 s
    local tries=$(($1 * 4))
    shift
    for _ in $(seq "$tries"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.25; done
    return 1
}

stop_pidfile() {  # name, pid file
    [ -s "$2" ] || return 0
    local pid
    pid=$(cat "$2")
    if kill -0 "$pid" 2>/dev/null; then
        kill "$pid" 2>/dev/null || true
        wait_for 15 bash -c "! kill -0 $pid" || kill -9 "$pid" 2>/dev/null || true
        say "stopped $1 ($pid)"
    fi
    rm -f "$2"
}

down() {
    if alive "$LAB/run/slurmctld.pid"; then
        timeout 10 scancel --user=root 2>/dev/null || true
        sleep 1
    fi
    stop_pidfile slurmd "$LAB/run/slurmd.pid"
    stop_pidfile slurmctld "$LAB/run/slurmctld.pid"
    stop_pidfile slurmdbd "$LAB/run/slurmdbd.pid"
    stop_pidfile mariadbd "$LAB/mysql/mysqld.pid"
    stop_pidfile munged "$LAB/munge/munged.pid"
    if [ "$(readlink /etc/slurm/slurm.conf 2>/dev/null)" = "$CONF" ]; then
        rm -f /etc/slurm/slurm.conf
        if [ -e /etc/slurm/slurm.conf.before-dlgenomics ]; then
            mv /etc/slurm/slurm.conf.before-dlgenomics /etc/slurm/slurm.conf
        fi
    fi
    say "SLURM STOPPED"
}

install_packages() {
    local missing=()
    command -v slurmctld >/dev/null || missing+=(slurm-wlm)
    command -v slurmdbd >/dev/null || missing+=(slurmdbd)
    command -v munged >/dev/null || missing+=(munge)
    command -v mariadbd >/dev/null || missing+=(mariadb-server)
    [ ${#missing[@]} -eq 0 ] && return 0
    say "apt-get install ${missing[*]}"
    apt-get update -qq
    # Without systemd the packages' postinst scripts start no daemon: we start them below.
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start_munge() {
    mkdir -p "$LAB/munge"
    chmod 755 "$LAB" "$LAB/munge"  # munged refuses a socket directory others cannot enter
    [ -s "$LAB/munge/munge.key" ] || mungekey --create --keyfile="$LAB/munge/munge.key" --force
    chmod 600 "$LAB/munge/munge.key"
    munged --key-file="$LAB/munge/munge.key" --socket="$MUNGE_SOCKET" \
        --pid-file="$LAB/munge/munged.pid" --log-file="$LAB/log/munged.log" \
        --seed-file="$LAB/munge/munged.seed"
    munge -S "$MUNGE_SOCKET" -n | unmunge -S "$MUNGE_SOCKET" >/dev/null || die "munge self-test"
}

start_accounting() {
    mkdir -p "$LAB/mysql"
    if [ ! -d "$LAB/mysql/data/mysql" ]; then
        mariadb-install-db --user=root --datadir="$LAB/mysql/data" --skip-test-db \
            --auth-root-authentication-method=socket >"$LAB/log/mariadb-install.log" 2>&1 ||
            die "mariadb-install-db failed"
    fi
    setsid mariadbd --no-defaults --user=root --datadir="$LAB/mysql/data" \
        --socket="$DB_SOCKET" --pid-file="$LAB/mysql/mysqld.pid" --bind-address=127.0.0.1 \
        --port="$DB_PORT" --log-error="$LAB/log/mariadb.log" </dev/null >/dev/null 2>&1 &
    wait_for 30 mariadb-admin --socket="$DB_SOCKET" ping || die "MariaDB did not start"
    # A fresh database each time: job ids restart at 1 with the wiped StateSaveLocation.
    mariadb --socket="$DB_SOCKET" -e "
        DROP DATABASE IF EXISTS slurm_acct_db; CREATE DATABASE slurm_acct_db;
        CREATE USER IF NOT EXISTS 'slurm'@'127.0.0.1' IDENTIFIED BY 'slurm';
        GRANT ALL ON slurm_acct_db.* TO 'slurm'@'127.0.0.1'; FLUSH PRIVILEGES;"
    cat >"$LAB/etc/slurmdbd.conf" <<EOF
AuthType=auth/munge
AuthInfo=socket=$MUNGE_SOCKET
DbdAddr=127.0.0.1
DbdHost=localhost
DbdPort=6819
SlurmUser=root
LogFile=$LAB/log/slurmdbd.log
PidFile=$LAB/run/slurmdbd.pid
StorageType=accounting_storage/mysql
StorageHost=127.0.0.1
StoragePort=$DB_PORT
StorageUser=slurm
StoragePass=slurm
StorageLoc=slurm_acct_db
EOF
    chmod 600 "$LAB/etc/slurmdbd.conf"
    slurmdbd || die "slurmdbd did not start"  # reads slurmdbd.conf beside $SLURM_CONF
    wait_for 30 sacctmgr -n show cluster || die "slurmdbd does not answer"
}

write_slurm_conf() {
    local node hardware
    node=$(hostname -s)
    hardware=$(slurmd -C | head -n 1)  # "NodeName=x CPUs=2 ... RealMemory=..."
    hardware=${hardware#NodeName=* }
    cat >"$CONF" <<EOF
ClusterName=dlgenomics
SlurmctldHost=$node(127.0.0.1)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$MUNGE_SOCKET
StateSaveLocation=$LAB/state
SlurmdSpoolDir=$LAB/spool
SlurmctldPidFile=$LAB/run/slurmctld.pid
SlurmdPidFile=$LAB/run/slurmd.pid
SlurmctldLogFile=$LAB/log/slurmctld.log
SlurmdLogFile=$LAB/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/linux
MpiDefault=none
MailProg=/bin/true
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
# Without a default, a job that names no --mem is given the whole node's memory.
DefMemPerCPU=1000
ReturnToService=2
MinJobAge=600
AccountingStorageType=accounting_storage/slurmdbd
AccountingStorageHost=127.0.0.1
AccountingStoragePort=6819
# slurmctld's connection to slurmdbd takes the munge socket from here, not from AuthInfo.
AccountingStoragePass=$MUNGE_SOCKET
NodeName=$node NodeAddr=127.0.0.1 $hardware State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    mkdir -p /etc/slurm
    if [ -e /etc/slurm/slurm.conf ] && [ ! -L /etc/slurm/slurm.conf ]; then
        mv /etc/slurm/slurm.conf /etc/slurm/slurm.conf.before-dlgenomics
    fi
    ln -sfn "$CONF" /etc/slurm/slurm.conf
}

up() {
    [ "$(id -u)" = 0 ] || die "run as root (it installs packages and starts daemons)"
    install_packages
    down >/dev/null 2>&1 || true
    rm -rf "$LAB/state" "$LAB/spool" "$LAB/run" "$LAB/log"
    mkdir -p "$LAB/etc" "$LAB/state" "$LAB/spool" "$LAB/run" "$LAB/log"
    start_munge
    write_slurm_conf
    start_accounting
    slurmctld || die "slurmctld did not start"
    slurmd -N "$(hostname -s)" || die "slurmd did not start"
    wait_for 30 bash -c "sinfo -h -o %T | grep -qx idle" || die "the node did not become idle"
    wait_for 30 bash -c "sacctmgr -n -P show cluster format=cluster | grep -qx dlgenomics" ||
        die "the cluster is not registered with slurmdbd"
    timeout 60 srun --mem=50 true || die "srun smoke test failed"
    sinfo
    say "SLURM READY (config $CONF, accounting through slurmdbd)"
}

case "${1:-}" in
    up) up ;;
    down) down ;;
    *) echo "usage: $0 up|down" >&2 && exit 2 ;;
esac
