#!/usr/bin/env python3
"""aggregate.py -- turn run-all.sh raw TSV(s) into results.md (medians over reps).

usage: aggregate.py --out results.md [--crypto crypto-XXX.tsv] raw-XXX.tsv [raw-YYY.tsv ...]
       aggregate.py --multipath --out multipath.md raw-mp-XXX.tsv [...]

Raw TSV rows: entry rep test key value   ('#' lines = run header).
Several raw files may be given (e.g. a later run that adds "our VPN"); reps are
keyed by (file, rep) so nothing collides.

The report starts with a summary "cloudvpn vs the fastest peer": every entry
whose name starts with "cloudvpn" is ours (one row per variant), the peers are
the other entries except raw*.  --multipath renders multipath.sh's data
(entries cloudvpn-<K>p-<policy>) as one table instead.
"""
import argparse, collections, datetime, os, platform, re, statistics, subprocess, sys

ap = argparse.ArgumentParser()
ap.add_argument("--out", required=True)
ap.add_argument("--crypto")
ap.add_argument("--multipath", action="store_true", help="the table of bench/multipath.sh")
ap.add_argument("raw", nargs="+")
a = ap.parse_args()

headers, order = [], []
meta = collections.defaultdict(dict)                       # entry -> key -> value (the last run's)
metas = collections.defaultdict(lambda: collections.defaultdict(list))  # entry -> key -> [value per run]
vals = collections.defaultdict(lambda: collections.defaultdict(dict))  # entry -> test -> runid -> {key: val}
status = collections.defaultdict(list)
for path in a.raw:
    for line in open(path):
        line = line.rstrip("\n")
        if not line:
            continue
        if line.startswith("#"):
            headers.append(line[1:].strip())
            continue
        e, rep, test, key, v = line.split("\t", 4)
        if e not in order:
            order.append(e)
        run = (path, rep)
        if test == "meta":
            meta[e][key] = v
            metas[e][key].append(v)
        elif test == "all" and key == "status":
            status[e].append(v)
        else:
            vals[e][test].setdefault(run, {})[key] = v


def num(x):
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def series(e, test, key):
    out = []
    for run, d in vals[e][test].items():
        if d.get("status") == "fail":
            continue
        x = num(d.get(key))
        if x is not None:
            out.append(x)
    return out


def med(e, test, key):
    s = series(e, test, key)
    return statistics.median(s) if s else None


def per_cpu(e, test):
    """Mbit moved per daemon CPU-second, per run, then median."""
    out = []
    for run, d in vals[e][test].items():
        b, c = num(d.get("bytes")), num(d.get("daemon_cpu_s"))
        if b is not None and c:
            out.append(b * 8 / 1e6 / c)
    return statistics.median(out) if out else None


def cores(e, test, key):
    out = []
    for run, d in vals[e][test].items():
        c, w = num(d.get(key)), num(d.get("wall_s"))
        if c is not None and w:
            out.append(c / w)
    return statistics.median(out) if out else None


def f(x, nd=0):
    return "n/a" if x is None else f"{x:,.{nd}f}"


udp_tests = sorted({t for e in order for t in vals[e] if t.startswith("udp")},
                   key=lambda t: num(t[3:].rstrip("MGK")) * {"K": 1e3, "M": 1e6, "G": 1e9}.get(t[-1], 1))
nreps = {e: len({r for t in vals[e] for r in vals[e][t]}) for e in order}



def ok(e):
    return any(x == "ok" for x in status[e])


def ratio(x, y):
    return "n/a" if x is None or not y else f"{x / y:.2f}"


def header_lines(title):
    out = [f"# {title}\n",
           f"Generated {datetime.datetime.now().strftime('%Y-%m-%d %H:%M %Z').strip()} by `aggregate.py` from "
           + ", ".join(f"`{os.path.relpath(p, os.path.dirname(os.path.abspath(a.out)))}`" for p in a.raw) + ".\n",
           "Machine / run settings (from the raw files):\n"]
    for h in dict.fromkeys(headers):
        out.append(f"- {h}")
    try:
        osrel = open("/etc/debian_version").read().strip()
        out.append(f"- Debian {osrel}, kernel `{platform.release()}`")
    except OSError:
        pass
    return out


def med_run(e, test, fn):
    """median over runs of fn(run dict) (None results skipped)"""
    out = []
    for run, d in vals[e][test].items():
        if d.get("status") == "fail":
            continue
        x = fn(d)
        if x is not None:
            out.append(x)
    return statistics.median(out) if out else None


def path_key(k):  # tx_u2 -> (0, 2, 0); tx_u1x3 -> (1, 1, 3)
    m = re.fullmatch(r"tx_u(\d+|\?)(?:x(\d+|\?))?", k)
    if not m:
        return None
    i = int(m.group(1)) if m.group(1).isdigit() else 99
    j = int(m.group(2)) if m.group(2) and m.group(2).isdigit() else 99
    return (0 if m.group(2) is None else 1, i, j)


def kilo(x):
    return "n/a" if x is None else (f"{x / 1e6:.2f}M" if x >= 1e6 else f"{x / 1e3:.1f}k" if x >= 1e3 else f"{x:.0f}")


def multipath_report():
    """bench/multipath.sh: one row per (paths, policy)."""
    pol_rank = {"primary": 0, "duplicate": 1, "spray": 2}
    ents = sorted(order, key=lambda e: (num(meta[e].get("paths")) or 0, pol_rank.get(meta[e].get("policy"), 9), e))
    udp = sorted({t for e in ents for t in vals[e] if t.startswith("udp")})
    u = udp[0] if udp else None

    def per_path(e, t):
        keys = sorted({k for d in vals[e][t].values() for k in d if path_key(k)}, key=path_key)
        cells = []
        for k in keys:
            m = med(e, t, k)
            if k.count("x") and not m:        # a cross pair that carried nothing
                continue
            cells.append(f"{k[3:]} {kilo(m)}")
        return " · ".join(cells) or "n/a"

    def copies(d):
        tx = [num(v) for k, v in d.items() if path_key(k)]
        u_ = num(d.get("tx_udp"))
        return sum(x for x in tx if x is not None) / u_ if u_ else None

    L = header_lines("cloudvpn multipath cost -- results")
    L.append("\nMedians over the repetitions (*n*). A -> B over the overlay; both nodes' `cloud` and `ip-gate` "
             "share the machine's CPUs with both iperf3 ends. *paths*: underlay links, each one UDP path "
             "(*live*: live paths seen by A / B before the tests). *daemon CPU-s*: utime+stime of both clouds "
             "and both ip-gates during the test; *Mbit/CPU-s*: Mbit delivered per daemon CPU-second. "
             "*A's datagrams per path*: A's data datagrams sent on each path during the test "
             "(`cloudctl -json paths` tx_packets; u2 = the path on underlay link 2, u1x2 = local address on "
             "link 1, remote on link 2), *copies* = datagrams on all paths / packets A sent over UDP "
             "(duplicate: one copy per live path). *B dups*: copies B dropped as duplicates. *B reorder gave up*: "
             "gaps B's spray reorder buffer stopped waiting for (`reorder_given_up`, after `udp_reorder_wait`).\n")
    hdr = ["paths", "policy", "n", "live A/B", "TCP Mbit/s", "TCP daemon CPU-s", "TCP Mbit/CPU-s",
           "TCP: A's datagrams per path", "TCP copies", "TCP: B reorder gave up"]
    if u:
        hdr += [f"UDP @{u[3:]}: goodput Mbit/s / loss %", "UDP daemon CPU-s", "UDP Mbit/CPU-s",
                "UDP: A's datagrams per path", "UDP copies", "UDP: B dups"]
    L.append("| " + " | ".join(hdr) + " |")
    L.append("|" + "---|" * len(hdr))
    for e in ents:
        row = [meta[e].get("paths", "?"), meta[e].get("policy", "?")]
        if not ok(e):
            L.append("| " + " | ".join(row) + f" | 0 | FAILED ({', '.join(status[e]) or 'no data'}) |" + " |" * (len(hdr) - 4))
            continue
        row += [str(nreps[e]), ", ".join(dict.fromkeys(metas[e]["live"])) or "?",
                f(med(e, "tcp1", "mbps")), f(med(e, "tcp1", "daemon_cpu_s"), 2), f(per_cpu(e, "tcp1")),
                per_path(e, "tcp1"), f(med_run(e, "tcp1", copies), 2), kilo(med(e, "tcp1", "b_given_up"))]
        if u:
            row += [f"{f(med(e, u, 'mbps'))} / {f(med(e, u, 'loss_pct'), 2)}", f(med(e, u, "daemon_cpu_s"), 2),
                    f(per_cpu(e, u)), per_path(e, u), f(med_run(e, u, copies), 2), kilo(med(e, u, "b_dups"))]
        L.append("| " + " | ".join(row) + " |")
    tls = [e for e in ents if any((num(d.get("tx_tls")) or 0) > 0 for t in vals[e] for d in vals[e][t].values())]
    if tls:
        L.append(f"\nData went on the TLS link (tx_tls grew) during tests of: {', '.join(tls)}.")
    return L


if a.multipath:
    L = multipath_report()
    open(a.out, "w").write("\n".join(L) + "\n")
    print(f"wrote {a.out}")
    sys.exit(0)

L = header_lines("VPN anchor benchmark -- results")
L.append("\nAll numbers are **medians over the repetitions** (column *n*). Both VPN peers, both iperf3 ends and "
         "the kernel share the same 2 vCPUs (shared, noisy VM), so a VPN whose two daemons each want a full core "
         "is CPU-starved here; treat the figures as *same-box relative anchors*, not per-host line rates. "
         "Direction A->B unless noted; overlay MTU 1420 for every VPN.\n")

ours = [e for e in order if e.startswith("cloudvpn") and ok(e)]
peers = [e for e in order if not e.startswith("cloudvpn") and not e.startswith("raw") and ok(e)]
L.append("## Summary: cloudvpn vs the best peer\n")
L.append("Ours: every entry named `cloudvpn*` (one row per variant). Peers: the other VPNs (not `raw*`). "
         "For each test the peer is the best one *for that row's metric*: highest Mbit/s, highest Mbit per "
         "daemon CPU-second (both ends' daemons), lowest ping RTT. *ours / peer* > 1 means cloudvpn is "
         "ahead, except for RTT (lower is better).\n")
if not ours or not peers:
    L.append(f"(nothing to compare: {'no cloudvpn* entry' if not ours else 'no peer entry'} with results)\n")
else:
    L.append("| metric | ours | ours | best peer | peer | ours / peer |")
    L.append("|---|---|---|---|---|---|")

    def best(cands, fn, lower=False):
        got = [(fn(p), p) for p in cands]
        got = [(v, p) for v, p in got if v is not None]
        if not got:
            return None, None
        v, p = (min if lower else max)(got)
        return p, v

    for t, label in (("tcp1", "TCP 1 stream A->B"), ("tcp4", "TCP 4 streams A->B"),
                     ("tcpR", "TCP 1 stream B->A"), ("tcp4R", "TCP 4 streams B->A")):
        if not any(t in vals[e] for e in ours + peers):
            continue
        bp, bv = best(peers, lambda p: med(p, t, "mbps"))
        for o in ours:
            x = med(o, t, "mbps")
            L.append(f"| {label}: Mbit/s | {o} | {f(x)} | {bp or 'n/a'} | {f(bv)} | {ratio(x, bv)} |")
        bp, bv = best([p for p in peers if meta[p].get("daemons", "1") != "0"], lambda p: per_cpu(p, t))
        for o in ours:
            x = per_cpu(o, t)
            L.append(f"| {label}: Mbit per daemon CPU-s | {o} | {f(x)} | {bp or 'n/a'} | {f(bv)} | {ratio(x, bv)} |")
    bp, bv = best(peers, lambda p: med(p, "ping", "rtt_avg_ms"), lower=True)
    for o in ours:
        x = med(o, "ping", "rtt_avg_ms")
        L.append(f"| ping avg RTT ms (idle; lower is better) | {o} | {f(x, 3)} | {bp or 'n/a'} | {f(bv, 3)} | {ratio(x, bv)} |")
    L.append("")

L.append("## Throughput and latency\n")
hdr = ["entry", "version", "n", "TCP 1 stream Mbit/s", "TCP 4 streams Mbit/s", "TCP reverse (B->A) Mbit/s",
       "TCP 4 streams reverse (B->A) Mbit/s"]
for t in udp_tests:
    hdr.append(f"UDP @{t[3:]} offered: goodput Mbit/s / loss %")
hdr.append("ping RTT min/avg/max ms")
L.append("| " + " | ".join(hdr) + " |")
L.append("|" + "---|" * len(hdr))
for e in order:
    st = status[e]
    if not any(s == "ok" for s in st):
        L.append(f"| {e} | {meta[e].get('version', '?')} | 0 | FAILED ({', '.join(st)}) |" + " |" * (len(hdr) - 4))
        continue
    row = [e, meta[e].get("version", "?"), str(nreps[e]),
           f(med(e, "tcp1", "mbps")), f(med(e, "tcp4", "mbps")), f(med(e, "tcpR", "mbps")),
           f(med(e, "tcp4R", "mbps"))]
    for t in udp_tests:
        row.append(f"{f(med(e, t, 'mbps'))} / {f(med(e, t, 'loss_pct'), 2)}")
    row.append(f"{f(med(e, 'ping', 'rtt_min_ms'), 3)} / {f(med(e, 'ping', 'rtt_avg_ms'), 3)} / {f(med(e, 'ping', 'rtt_max_ms'), 3)}")
    L.append("| " + " | ".join(row) + " |")

L.append("\n## CPU cost (daemon = utime+stime of both peers' VPN processes, from /proc/<pid>/stat)\n")
L.append("*cores* = CPU-seconds / wall-seconds of the iperf3 run (2.0 = whole machine). "
         "*Mbit/CPU-s* = Mbit delivered per daemon CPU-second (both ends together: encrypt + decrypt + TUN + UDP syscalls). "
         "*machine* = all non-idle CPU time in /proc/stat (VPN + iperf3 + kernel/softirq).\n")
hdr = ["entry", "TCP1 daemon cores", "TCP1 machine cores", "TCP1 Mbit per daemon CPU-s",
       "TCP4 daemon cores", "TCP4 Mbit per daemon CPU-s",
       "TCPR Mbit per daemon CPU-s", "TCP4R Mbit per daemon CPU-s"]
if udp_tests:
    hdr += [f"UDP@{udp_tests[-1][3:]} daemon cores", f"UDP@{udp_tests[-1][3:]} Mbit per daemon CPU-s"]
L.append("| " + " | ".join(hdr) + " |")
L.append("|" + "---|" * len(hdr))
for e in order:
    if not any(s == "ok" for s in status[e]):
        continue
    nod = meta[e].get("daemons", "1") == "0"
    row = [e,
           "kernel" if nod else f(cores(e, "tcp1", "daemon_cpu_s"), 2),
           f(cores(e, "tcp1", "sys_cpu_s"), 2),
           "n/a" if nod else f(per_cpu(e, "tcp1")),
           "kernel" if nod else f(cores(e, "tcp4", "daemon_cpu_s"), 2),
           "n/a" if nod else f(per_cpu(e, "tcp4")),
           "n/a" if nod else f(per_cpu(e, "tcpR")),
           "n/a" if nod else f(per_cpu(e, "tcp4R"))]
    if udp_tests:
        u = udp_tests[-1]
        row += ["kernel" if nod else f(cores(e, u, "daemon_cpu_s"), 2), "n/a" if nod else f(per_cpu(e, u))]
    L.append("| " + " | ".join(row) + " |")

L.append("\n## Spread: TCP 1-stream Mbit/s of every repetition\n")
L.append("| entry | values (run order) | TCP retransmits (median) |")
L.append("|---|---|---|")
for e in order:
    s = series(e, "tcp1", "mbps")
    L.append(f"| {e} | {', '.join(f(x) for x in s) or 'n/a'} | {f(med(e, 'tcp1', 'retrans'))} |")

L.append("\n## Configurations\n")
L.append("| entry | version | configuration |")
L.append("|---|---|---|")
for e in order:
    L.append(f"| {e} | {meta[e].get('version', '?')} | {meta[e].get('describe', '?')} |")

if a.crypto and os.path.exists(a.crypto):
    c = collections.defaultdict(list)
    for line in open(a.crypto):
        p = line.rstrip("\n").split("\t")
        if len(p) == 5:
            c[(p[0], p[1], int(p[2]))].append(float(p[4]))
    L.append("\n## Crypto ceiling (single core, user space; medians)\n")
    L.append(f"From `{os.path.relpath(a.crypto, os.path.dirname(os.path.abspath(a.out)))}`. "
             "openssl = `openssl speed -mr -evp <cipher>` (OpenSSL 3.0, AES-NI/AVX code paths); "
             "gnutls = `gnutls-cli --benchmark-ciphers` AEAD section (nettle backend), 16 KiB payloads. "
             "1 MB/s = 1e6 bytes/s.\n")
    sizes = sorted({k[2] for k in c if k[0] == "openssl"})
    show = [s for s in sizes if s in (64, 1024, 1420, 8192, 16384)]
    L.append("| tool | cipher | " + " | ".join(f"{s} B: MB/s" for s in show) + " | n |")
    L.append("|---|---|" + "---|" * len(show) + "---|")
    for tool in ("openssl", "gnutls"):
        for ciph in sorted({k[1] for k in c if k[0] == tool}):
            cells, n = [], 0
            for s in show:
                v = c.get((tool, ciph, s))
                cells.append(f"{statistics.median(v) / 1e6:,.0f}" if v else "")
                n = max(n, len(v or []))
            L.append(f"| {tool} | {ciph} | " + " | ".join(cells) + f" | {n} |")

notes = os.path.join(os.path.dirname(os.path.abspath(__file__)), "NOTES.md")
if os.path.exists(notes):
    L.append("\n" + open(notes).read().rstrip() + "\n")

open(a.out, "w").write("\n".join(L) + "\n")
print(f"wrote {a.out}")
