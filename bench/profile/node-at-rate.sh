#!/bin/bash
# One node (Release build, defaults, SQLite) under nfgen at a fixed rate; prints one line: kernel and node drops,
# observations applied, CPU µs per flow (all threads, and the receive loops alone), GC pause seconds and count, allocation per flow, peak RSS.
#   usage: bench/profile/node-at-rate.sh RATE HOSTS SECONDS [NAME=VALUE ...]   (extra environment for the node)
#   WARMRATE/WARMSECS: learning phase before the measured one (default 200000/s for 3 s)
#   UDPMON=1: bench/profile/udp-queue-monitor.py output in /tmp/flowactors-profile/udpmon.txt
#   GCTRACE=1: dotnet-trace (GCPROFILE, default gc-collect; or TRACEPROVIDERS, e.g. Microsoft-Windows-DotNETRuntime:0x10:5
#     for JIT events, read by GcPauses TRACE jit) of the measured phase in /tmp/flowactors-profile/gc.nettrace
#   GCGEN0SIZE: the node's young-generation budget (default 0x8000000, as docker/Dockerfile sets it)
#   PERF=1: perf record -g of the measured phase in /tmp/flowactors-profile/perf.data (JIT frames resolved)
# Build first: dotnet build src/FlowActors.Node -c Release; and the generator: gcc -O2 -o artifacts/bench/nfgen bench/nfgen/nfgen.c -lm -lpthread
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RATE=${1:-900000}; HOSTS=${2:-50000}; SECS=${3:-10}
OUT=/tmp/flowactors-profile; mkdir -p $OUT
D=$(mktemp -d $OUT/node.XXXX)
export FLOWACTORS__DATADIRECTORY=$D FLOWACTORS__CLUSTER__PORT=26560 FLOWACTORS__OPERATOR__PORT=26561 \
  FLOWACTORS__RECEIVERS__NETFLOWPORT=26562 FLOWACTORS__RECEIVERS__IPFIXPORT=0 FLOWACTORS__RECEIVERS__SFLOWPORT=0 \
  FLOWACTORS__RECEIVERS__BINDADDRESS=127.0.0.1 FLOWACTORS__RECEIVERS__RECEIVEBUFFERBYTES=8388608 \
  DOTNET_GCgen0size=${GCGEN0SIZE:-0x8000000} DOTNET_PerfMapEnabled=${PERF:+1} DOTNET_EnableWriteXorExecute=${PERF:+0}
[ -z "${PERF:-}" ] && unset DOTNET_PerfMapEnabled DOTNET_EnableWriteXorExecute
for kv in "${@:4}"; do export "$kv"; done
NFGEN=$ROOT/artifacts/bench/nfgen
cd $D
dotnet $ROOT/src/FlowActors.Node/bin/Release/net10.0/FlowActors.Node.dll > $D/node.log 2>&1 &
PID=$!
trap 'kill -TERM $PID 2>/dev/null; wait $PID 2>/dev/null; [ -n "${KEEP:-}" ] && cp $D/m0 $D/m1 $OUT/ ; rm -rf $D' EXIT
for i in $(seq 1 120); do curl -sf http://127.0.0.1:26561/healthz/ready >/dev/null && break; sleep 0.5; done
m() { curl -s http://127.0.0.1:26561/metrics; }
cpu() { awk '{print ($14+$15)/100}' /proc/$PID/stat; }
# CPU of the receive loops' threads alone (named flow-rx-*): the thread whose lag the kernel turns into drops
rxcpu() { for t in /proc/$PID/task/*; do case $(cat $t/comm) in flow-rx-*) awk '{print ($14+$15)/100}' $t/stat;; esac; done | awk '{s+=$1} END {print s+0}'; }
$NFGEN --to 127.0.0.1:26562 --rate ${WARMRATE:-200000} --seconds ${WARMSECS:-3} --hosts $HOSTS > /dev/null 2>&1
sleep 6
m > $D/m0; C0=$(cpu); R0=$(rxcpu)
[ -n "${GCTRACE:-}" ] && { (cd $ROOT && dotnet tool run dotnet-trace -- collect -p $PID $([ -n "${TRACEPROVIDERS:-}" ] && echo "--providers $TRACEPROVIDERS" || echo "--profile ${GCPROFILE:-gc-collect}") --duration 00:00:00:$(printf %02d $SECS) -o $OUT/gc.nettrace > $OUT/gctrace.log 2>&1) & sleep 2; }
[ -n "${PERF:-}" ] && { perf record -F 499 -g -p $PID -o $OUT/perf.data -- sleep $SECS 2> $OUT/perf.err & }
[ -n "${UDPMON:-}" ] && { python3 $ROOT/bench/profile/udp-queue-monitor.py 26562 $((SECS+2)) > $OUT/udpmon.txt & }
$NFGEN --to 127.0.0.1:26562 --rate $RATE --seconds $SECS --hosts $HOSTS > $D/gen.log 2>&1
sleep 5
while pgrep -f "dotnet-trace.*collect" >/dev/null || pgrep -x perf >/dev/null; do sleep 0.5; done
m > $D/m1; C1=$(cpu); R1=$(rxcpu)
g() { grep -E "^$1" $2 | awk '{s+=$NF} END {printf "%.0f", s}'; }
d() { echo $(( $(g "$1" $D/m1) - $(g "$1" $D/m0) )); }
FLOWS=$(grep ^flows $D/gen.log | awk '{print $2}')
P0=$(grep ^dotnet_gc_pause_time_seconds_total $D/m0 | awk '{print $NF}'); P1=$(grep ^dotnet_gc_pause_time_seconds_total $D/m1 | awk '{print $NF}')
J0=$(grep ^dotnet_jit_compilation_time_seconds_total $D/m0 | awk '{print $NF}'); J1=$(grep ^dotnet_jit_compilation_time_seconds_total $D/m1 | awk '{print $NF}')
echo "rate=$RATE hosts=$HOSTS flows=$FLOWS kernel_drops=$(d 'flowactors_receiver_dropped_total.*kernel') node_drops=$(d 'flowactors_[a-z_]*drop[a-z_]*_total')" \
  "applied=$(d flowactors_host_observations_total) cpu_us_per_flow=$(echo "scale=3; ($C1 - $C0)*1000000/$FLOWS" | bc) rx_us_per_flow=$(echo "scale=3; ($R1 - $R0)*1000000/$FLOWS" | bc)" \
  "gc_pause_s=$(echo "$P1 - $P0" | bc) jit_s=$(echo "$J1 - $J0" | bc) jit_methods=$(d dotnet_jit_compiled_methods_total) gcs=$(d dotnet_gc_collections_total) alloc_b_per_flow=$(echo "scale=1; $(d dotnet_gc_heap_total_allocated_bytes_total)/$FLOWS" | bc)" \
  "peak_rss_mb=$(grep VmHWM /proc/$PID/status | awk '{print int($2/1024)}') ${*:4}"
