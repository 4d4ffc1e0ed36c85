#!/usr/bin/python3
"""Adds up every test a CI run executed and prints the closing line `N passed, N failed`.

Inputs: meson testlog.json files (one JSON object per line; a doctest executable's own summary line
"test cases: N | P passed | F failed" is counted case by case, any other test counts as one) and
pytest/libFuzzer JUnit XML files. A stage that crashed before writing its log is passed on the
command line as `--failed-stage NAME` and counts as one failure.
"""
import argparse
import json
import re
import sys
import xml.etree.ElementTree as ET

DOCTEST = re.compile(r"test cases:\s*(\d+)\s*\|\s*(\d+)\s*passed\s*\|\s*(\d+)\s*failed")


def count_meson(path):
    passed = failed = 0
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            entry = json.loads(line)
            ok = entry.get("result") in ("OK", "EXPECTEDFAIL")
            skipped = entry.get("result") == "SKIP"
            m = DOCTEST.search(entry.get("stdout") or "")
            if m:
                p, fl = int(m.group(2)), int(m.group(3))
                if not ok and fl == 0:
                    fl = 1  # crashed after its summary, or sanitizer report at exit
                passed, failed = passed + p, failed + fl
            elif not skipped:
                passed, failed = passed + ok, failed + (not ok)
    return passed, failed


def count_junit(path):
    root = ET.parse(path).getroot()
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    passed = failed = 0
    for s in suites:
        tests = int(s.get("tests", 0))
        bad = int(s.get("failures", 0)) + int(s.get("errors", 0))
        skipped = int(s.get("skipped", 0))
        passed += tests - bad - skipped
        failed += bad
    return passed, failed


PLAIN = re.compile(r"^(?:\w+:\s*)?(\d+) passed, (\d+) failed", re.M)


def count_plain(path):
    with open(path, encoding="utf-8", errors="replace") as f:
        found = PLAIN.findall(f.read())
    if not found:
        return 0, 1  # the stage never reached its own summary
    return int(found[-1][0]), int(found[-1][1])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--meson", action="append", default=[])
    ap.add_argument("--junit", action="append", default=[])
    ap.add_argument("--plain", action="append", default=[],
                    help="a log whose last 'N passed, N failed' line counts (packaging checks)")
    ap.add_argument("--failed-stage", action="append", default=[])
    args = ap.parse_args()
    passed = failed = 0
    for path in args.meson:
        p, f = count_meson(path)
        print(f"  {path}: {p} passed, {f} failed", file=sys.stderr)
        passed, failed = passed + p, failed + f
    for path in args.junit:
        p, f = count_junit(path)
        print(f"  {path}: {p} passed, {f} failed", file=sys.stderr)
        passed, failed = passed + p, failed + f
    for path in args.plain:
        p, f = count_plain(path)
        print(f"  {path}: {p} passed, {f} failed", file=sys.stderr)
        passed, failed = passed + p, failed + f
    for stage in args.failed_stage:
        print(f"  stage failed to run: {stage}", file=sys.stderr)
        failed += 1
    print(f"{passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
