#!/usr/bin/env python3
"""Samples a UDP port's receive queue and drop counter in /proc/net/udp every 10 ms.

usage: udp-queue-monitor.py PORT SECONDS

Prints the queue every half second, every sample above 500 KB, and every increase of the drop counter. A receive
thread that stops (a GC suspension) shows as the queue filling at the full arrival rate, then drops once it is full.
"""
import sys, time
port = int(sys.argv[1]); secs = float(sys.argv[2])
hexport = ':%04X' % port
t0 = time.time(); last = None; maxq = 0; out = []
while time.time() - t0 < secs:
    with open('/proc/net/udp') as f:
        q = 0; drops = 0
        for line in f.readlines()[1:]:
            p = line.split()
            if p[1].endswith(hexport):
                q += int(p[4].split(':')[1], 16); drops += int(p[-1])
    t = time.time() - t0
    if last is not None and drops > last: out.append('%.2f +%d q=%d' % (t, drops - last, q))
    maxq = max(maxq, q)
    if q > 500000 or int(t * 50) % 25 == 0: out.append('%.2f q=%d' % (t, q))
    last = drops
    time.sleep(0.01)
print('\n'.join(out)); print('maxq', maxq)
