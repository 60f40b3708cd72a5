"""What the processes of the machine used while a benchmark ran.

    python3 scripts/lib/bench_cpu.py snap FILE
    python3 scripts/lib/bench_cpu.py others FILE OWN0 OWN1 PID...

`snap` writes the machine's busy seconds and each live process's CPU seconds to FILE.
`others` compares with FILE now: the CPU seconds that processes other than PID... (the
benchmark's own: server, sink, helpers) and the benchmark shell's reaped children (OWN1 - OWN0
seconds: wrk, helpers) used meanwhile, with the top live ones by name; one line. For
PostgreSQL the database server's processes count as others (they serve the benchmark).

Written for scripts/bench-editions from the helpers embedded in scripts/bench-newsletters
(cpu-snap, cpu-others), which could use this file instead.
"""
import collections
import json
import os
import sys
import time

HZ = os.sysconf("SC_CLK_TCK")


def cpu_snapshot():
    """Machine busy seconds (user, nice, system, steal: the time processes are charged with;
    irq and softirq apart) and each live process's own CPU seconds."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    snap = {"busy": (v[0] + v[1] + v[2] + v[7]) / HZ, "irq": (v[5] + v[6]) / HZ, "t": time.time(), "procs": {}}
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            with open(f"/proc/{pid}/stat") as f:
                raw = f.read()
        except OSError:
            continue
        comm = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        # key: pid and start time, so that a reused pid is another process
        snap["procs"][f"{pid}:{fields[19]}"] = [comm, (int(fields[11]) + int(fields[12])) / HZ]
    return snap


def snap(path):
    with open(path, "w") as f:
        json.dump(cpu_snapshot(), f)


def others(path0, own0, own1, *mine):
    with open(path0) as f:
        s0 = json.load(f)
    s1 = cpu_snapshot()
    mine_pids = set(mine)
    mine_s = float(own1) - float(own0)
    named = collections.Counter()
    for key, (comm, cpu) in s1["procs"].items():
        pid = key.split(":")[0]
        delta = cpu - s0["procs"].get(key, [comm, 0.0])[1]
        if pid in mine_pids:
            mine_s += delta
        elif delta > 0:
            named[comm] += delta
    wall = s1["t"] - s0["t"]
    other = max(0.0, (s1["busy"] - s0["busy"]) - mine_s)
    cores = os.cpu_count()
    top = ", ".join(f"{c} {v:.1f}" for c, v in named.most_common(4) if v >= 0.5)
    rest = other - sum(named.values())
    print(f"other processes used ~{other:.1f} CPU-s over {wall:.0f} s (~{100 * other / (wall * cores):.0f}% of "
          f"{cores} cores); live ones: {top or 'none above 0.5 s'}; short-lived or unattributed: "
          f"{max(0.0, rest):.1f} s")


if __name__ == "__main__":
    cmd, args = sys.argv[1], sys.argv[2:]
    if cmd == "snap":
        snap(*args)
    elif cmd == "others":
        others(*args)
    else:
        raise SystemExit("usage: bench_cpu.py snap FILE | others FILE OWN0 OWN1 PID...")
