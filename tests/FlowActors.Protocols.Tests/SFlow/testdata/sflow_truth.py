#!/usr/bin/env python3
"""Reference decode of an sFlow v5 capture with Wireshark's tshark: one JSON line per flow sample, in capture order,
with the canonical field names. Usage: sflow_truth.py CAPTURE > CAPTURE.truth.jsonl"""
import datetime, json, subprocess, sys

def walk_samples(sflow):
    for key, value in sflow.items():
        if key.startswith("Flow sample") or key.startswith("Expanded flow sample"):
            yield value

def first(tree, *names):
    for n in names:
        if n in tree:
            return tree[n]
    return None

packets = json.loads(subprocess.check_output(["tshark", "-r", sys.argv[1], "-T", "json"], stderr=subprocess.DEVNULL))
for p in packets:
    layers = p["_source"]["layers"]
    sflow = layers["sflow"]
    # sFlow has no flow times: a record's start and end are the receive (capture) time, truncated to the millisecond.
    seconds, _, fraction = layers["frame"]["frame.time_epoch"].partition(".")
    stamp = datetime.datetime.fromtimestamp(int(seconds), datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + (fraction + "000")[:3] + "Z"
    for s in walk_samples(sflow):
        raw = s["Raw packet header"]
        tree = raw["sflow_245.header_tree"]
        rec = {"version": 105, "exporter": sflow["sflow_245.agent"], "domain": int(sflow["sflow_245.sub_agent_id"]),
               "src_addr": None, "dst_addr": None, "src_port": None, "dst_port": None, "protocol": None, "tcp_flags": None,
               "packets": 1, "bytes": int(raw["sflow_245.header.frame_length"]),
               "sampling_rate": int(s["sflow.flow_sample.sampling_rate"]), "start": stamp, "end": stamp,
               "input_if": None, "output_if": None, "tos": None, "icmp_type": None, "icmp_code": None}
        if "ip" in tree:
            ip = tree["ip"]
            rec.update(src_addr=ip["ip.src"], dst_addr=ip["ip.dst"], protocol=int(ip["ip.proto"]), bytes=int(ip["ip.len"]),
                       tos=int(ip["ip.dsfield"], 16))
        elif "ipv6" in tree:
            ip = tree["ipv6"]
            rec.update(src_addr=ip["ipv6.src"], dst_addr=ip["ipv6.dst"], protocol=int(ip["ipv6.nxt"]), bytes=40 + int(ip["ipv6.plen"]),
                       tos=int(ip["ipv6.tclass"], 16))
        if "tcp" in tree:
            rec.update(src_port=int(tree["tcp"]["tcp.srcport"]), dst_port=int(tree["tcp"]["tcp.dstport"]),
                       tcp_flags=int(tree["tcp"]["tcp.flags"], 16) & 0xFF)
        elif "udp" in tree:
            rec.update(src_port=int(tree["udp"]["udp.srcport"]), dst_port=int(tree["udp"]["udp.dstport"]))
        icmp = first(tree, "icmp", "icmpv6")
        if icmp is not None:
            t = "icmp" if "icmp" in tree else "icmpv6"
            rec.update(icmp_type=int(icmp[t + ".type"]), icmp_code=int(icmp[t + ".code"]))
        for field, key in (("input_if", "sflow.flow_sample.input_interface"), ("output_if", "sflow.flow_sample.output_interface")):
            v = s.get(key)
            v = int(v, 16) if isinstance(v, str) and v.startswith("0x") else int(v) if v is not None else 0
            if v not in (0, 0x3FFFFFFF) and v >> 30 == 0:
                rec[field] = v
        print(json.dumps(rec))
