#!/usr/bin/python3
"""Time whole processes side by side: run each command once per round, rounds interleaved, and
print the median wall and CPU (user + sys) time of each and its ratio to the first (the
reference), and the median count of minor page faults (a fresh 4 kB page costs ~6.6 µs on these
machines, far more under load; the count does not depend on the load). The machine is shared, so the load average before and after is printed too.

Usage: /usr/bin/python3 tests/bench/interleave.py ROUNDS NAME 'COMMAND' [NAME 'COMMAND' ...]
(each COMMAND is run by /bin/sh, its output discarded; a failing command stops the run)."""
import os
import resource
import statistics
import subprocess
import sys
import time


def run(command):
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    done = subprocess.run(command, shell=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        sys.exit(f"{command} failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, after.ru_minflt - before.ru_minflt


def main():
    rounds = int(sys.argv[1])
    pairs = list(zip(sys.argv[2::2], sys.argv[3::2]))
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}, {os.cpu_count()} cores")
    for _, command in pairs:  # warm-up: file cache, Deno's module cache
        run(command)
    walls = {name: [] for name, _ in pairs}
    cpus = {name: [] for name, _ in pairs}
    faults = {name: [] for name, _ in pairs}
    for _ in range(rounds):
        for name, command in pairs:
            wall, cpu, flt = run(command)
            walls[name].append(wall)
            cpus[name].append(cpu)
            faults[name].append(flt)
    ref = pairs[0][0]
    rw, rc = statistics.median(walls[ref]), statistics.median(cpus[ref])
    print(f"{'':34s} {'wall median':>11s} {'(min-max)':>15s} {'x ref':>6s} {'cpu median':>11s} {'x ref':>6s} {'page faults':>11s}")
    for name, _ in pairs:
        w, c = statistics.median(walls[name]), statistics.median(cpus[name])
        print(f"{name:34s} {w * 1000:9.0f}ms ({min(walls[name]) * 1000:5.0f}-{max(walls[name]) * 1000:5.0f}ms) "
              f"{w / rw:5.2f}x {c * 1000:9.0f}ms {c / rc:5.2f}x {statistics.median(faults[name]):11.0f}")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}; {rounds} interleaved rounds")


if __name__ == "__main__":
    main()
