# Sourced by tools that start a three-member cluster on loopback (bash).
#
# start_local_cluster BINARY BASE WORK TOKEN [FLAG...]: members m1..m3 of BINARY (Ferry or
# etcd: the same flags) with client ports BASE+1..3 and peer ports BASE+11..13, data dirs and
# logs in WORK, FLAGs added to each. Sets ENDPOINTS (client host:port list) and appends the
# members' PIDs to PIDS.
start_local_cluster() {
    local binary=$1 base=$2 work=$3 token=$4
    shift 4
    local cluster= i client peer
    for i in 1 2 3; do cluster+="${cluster:+,}m$i=http://127.0.0.1:$((base + 10 + i))"; done
    ENDPOINTS=
    for i in 1 2 3; do
        client=127.0.0.1:$((base + i)); peer=http://127.0.0.1:$((base + 10 + i))
        ENDPOINTS+="${ENDPOINTS:+,}$client"
        "$binary" --name m$i --data-dir "$work/m$i" --listen-client-urls http://$client --advertise-client-urls http://$client \
            --listen-peer-urls $peer --initial-advertise-peer-urls $peer --initial-cluster "$cluster" \
            --initial-cluster-token "$token" --initial-cluster-state new "$@" >"$work/m$i.log" 2>&1 &
        PIDS+=($!)
    done
}
