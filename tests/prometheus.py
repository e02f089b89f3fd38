#!/usr/bin/env python3
"""A real Prometheus scrapes `plugin-host watch --metrics` while calls are sent, good and hostile;
its HTTP API must then count each call under its outcome. Run by `just metrics`.

Starts, on loopback ports the kernel picks: `plugin-host watch DIR --metrics` on a directory
holding a good plugin and a hostile one, and Prometheus with a scrape configuration for it
(every second). Sends calls on the watch's standard input, then asks Prometheus
(`/api/v1/query`) for `plugin_calls_total` by plugin, export and outcome until the counts are
those of the calls sent, or a minute has passed. Stops both, whatever happens.
"""

import argparse
import json
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

# What is sent, and the outcome each call must be counted under (host/src/telemetry.rs).
# `trigger 2` executes `unreachable`; `trigger 6` allocates until the memory limit refuses
# (plugins/hostile/src/lib.rs). The hostile plugin then still answers `just-add`.
CALLS = [
    ("good.wasm", "just-add", ["40", "2"], "ok"),
    ("good.wasm", "just-add", ["1", "2"], "ok"),
    ("good.wasm", "point-add", ["{x: 1, y: 2}", "{x: 3, y: 4}"], "ok"),
    ("hostile.wasm", "trigger", ["2"], "trap"),
    ("hostile.wasm", "trigger", ["6"], "memory_limit"),
    ("hostile.wasm", "just-add", ["2", "3"], "ok"),
]

DEADLINE_S = 60


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def get(url):
    with urllib.request.urlopen(url, timeout=5) as response:
        return response.read().decode()


def wait_for(what, check, explain=lambda: ""):
    """Polls `check` until it returns something true; fails after DEADLINE_S seconds, saying
    what `explain` says."""
    start = time.monotonic()
    while time.monotonic() - start < DEADLINE_S:
        try:
            found = check()
            if found:
                return found
        except OSError:
            pass
        time.sleep(0.5)
    sys.exit(f"prometheus check: gave up after {DEADLINE_S} s waiting for {what}{explain()}")


def counted(prometheus):
    """Prometheus's `plugin_calls_total`, as {(file, export, outcome): count}."""
    query = urllib.parse.urlencode({"query": "plugin_calls_total"})
    answer = json.loads(get(f"http://{prometheus}/api/v1/query?{query}"))
    counts = {}
    for series in answer["data"]["result"]:
        labels = series["metric"]
        key = (Path(labels["plugin"]).name, labels["export"], labels["outcome"])
        counts[key] = int(float(series["value"][1]))
    return counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--plugin-host", required=True, help="the plugin-host binary")
    parser.add_argument("--good", required=True, help="a plugin of the example world")
    parser.add_argument("--hostile", required=True, help="the hostile plugin")
    parser.add_argument("--prometheus", default="prometheus", help="the Prometheus binary")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="plugin-host-prometheus-"))
    started = []
    try:
        plugins = work / "plugins"
        plugins.mkdir()
        shutil.copy(args.good, plugins / "good.wasm")
        shutil.copy(args.hostile, plugins / "hostile.wasm")

        metrics = f"127.0.0.1:{free_port()}"
        watch = subprocess.Popen(
            [args.plugin_host, "watch", str(plugins), "--metrics", metrics],
            stdin=subprocess.PIPE,
            stdout=open(work / "watch.out", "w"),
            stderr=open(work / "watch.err", "w"),
            text=True,
        )
        started.append(watch)
        wait_for(f"the watch's metrics at {metrics}", lambda: get(f"http://{metrics}/metrics") is not None)

        prometheus = f"127.0.0.1:{free_port()}"
        config = work / "prometheus.yml"
        config.write_text(
            "global:\n  scrape_interval: 1s\n"
            "scrape_configs:\n"
            "  - job_name: plugin-host\n"
            f"    static_configs:\n      - targets: ['{metrics}']\n"
        )
        server = subprocess.Popen(
            [
                args.prometheus,
                f"--config.file={config}",
                f"--storage.tsdb.path={work / 'data'}",
                f"--web.listen-address={prometheus}",
            ],
            stdout=subprocess.DEVNULL,
            stderr=open(work / "prometheus.log", "w"),
        )
        started.append(server)
        wait_for(f"Prometheus at {prometheus}", lambda: "Ready" in get(f"http://{prometheus}/-/ready"))

        expected = {}
        for file, export, call_args, outcome in CALLS:
            line = " ".join([file, export] + [f"'{a}'" for a in call_args])
            watch.stdin.write(line + "\n")
            watch.stdin.flush()
            key = (file, export, outcome)
            expected[key] = expected.get(key, 0) + 1
        print(f"sent {len(CALLS)} calls to plugin-host watch --metrics {metrics}")

        last = {}

        def matches():
            last.update(counted(prometheus))
            return dict(last) if all(last.get(k) == v for k, v in expected.items()) else None

        counts = wait_for(
            "Prometheus to count every call under its outcome",
            matches,
            lambda: f"\n  expected {expected}\n  counted  {last}",
        )
        print(f"Prometheus at {prometheus} counts plugin_calls_total:")
        for (file, export, outcome), count in sorted(counts.items()):
            print(f"  {file:<13} {export:<10} {outcome:<13} {count}")
        extra = {k: v for k, v in counts.items() if v and k not in expected}
        if extra:
            sys.exit(f"prometheus check: calls counted that were not sent: {extra}")
        print("prometheus check: every call counted under its outcome")
    finally:
        for process in reversed(started):
            if process.stdin:
                process.stdin.close()
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
        for log in ("watch.err", "prometheus.log"):
            if (work / log).exists() and sys.exc_info()[0] is not None:
                print((work / log).read_text(), file=sys.stderr)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
