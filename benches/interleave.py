#!/usr/bin/env python3
"""Side-by-side timing of a few commands, interleaved run by run.

    python3 benches/interleave.py [-n RUNS] NAME='COMMAND ARGS' NAME='COMMAND ARGS' ...

Runs every command once per round, in order, RUNS rounds (default 100), and prints each
command's median wall time and its ratio to the first command's median. On a machine whose
speed drifts (a shared VM), interleaving keeps the drift out of the ratios, where
hyperfine's one-command-after-the-other runs let it in. Every command must exit 0. Arguments
are split like a shell would (shlex), without a shell; the environment is passed through.
"""

import argparse
import shlex
import statistics
import subprocess
import time


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("-n", "--runs", type=int, default=100)
    parser.add_argument("commands", nargs="+", metavar="NAME=COMMAND")
    args = parser.parse_args()
    commands = []
    for spec in args.commands:
        name, sep, command = spec.partition("=")
        if not sep or not command:
            parser.error(f"expected NAME=COMMAND, got {spec!r}")
        commands.append((name, shlex.split(command)))

    times = {name: [] for name, _ in commands}
    for _ in range(args.runs):
        for name, argv in commands:
            start = time.perf_counter()
            done = subprocess.run(argv, stdout=subprocess.DEVNULL)
            elapsed = time.perf_counter() - start
            if done.returncode != 0:
                raise SystemExit(f"{name} exited {done.returncode}: {shlex.join(argv)}")
            times[name].append(elapsed * 1000)

    first = statistics.median(times[commands[0][0]])
    for name, _ in commands:
        median = statistics.median(times[name])
        print(f"{name:24s} median {median:8.2f} ms  {median / first:6.3f} x {commands[0][0]}")


if __name__ == "__main__":
    main()
