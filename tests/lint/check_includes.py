#!/usr/bin/python3
"""Fails when a source file includes a module its module may not depend on (STYLE.md section 3).

The allowed arrows:
  main   -> server, config, net (for BindError), core
  server -> net, shard, config, metrics, runtime, core
  net    -> proto, core, runtime (never shard/ or cold/: Session talks to core::Executor)
  shard  -> cold, runtime, core
  proxy  -> proto, runtime, core (issue #13; net/ never includes proxy/, server/ composes it)
  runtime, proto, cold, config, metrics -> core
  core   -> nothing
Also: protocol strings live in proto/replies.h (no "CLIENT_ERROR"/"SERVER_ERROR" literal elsewhere in
src/, apart from the listener's connection-limit reply which is sent before any protocol is known).
"""
import pathlib
import re
import sys

ALLOWED = {
    "core": set(),
    "proto": {"core"},
    "runtime": {"core"},
    "cold": {"core"},
    "config": {"core"},
    "metrics": {"core"},
    "shard": {"core", "cold", "runtime"},
    "net": {"core", "proto", "runtime"},
    "proxy": {"core", "proto", "runtime"},
    "server": {"core", "net", "shard", "config", "metrics", "runtime", "proto", "proxy"},
}
INCLUDE = re.compile(r'^\s*#\s*include\s+"([a-z_]+)/([^"]+)"', re.M)
PROTOCOL_STRING = re.compile(r'"(CLIENT_ERROR|SERVER_ERROR)')


def module_of(path, src):
    rel = path.relative_to(src)
    return rel.parts[0] if len(rel.parts) > 1 else "main"


def check(src):
    errors = []
    for path in sorted(src.rglob("*")):
        if path.suffix not in (".h", ".cc"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        mod = module_of(path, src)
        for m in INCLUDE.finditer(text):
            target, header = m.group(1), f"{m.group(1)}/{m.group(2)}"
            if target == mod or mod == "main":
                continue
            if target not in ALLOWED.get(mod, set()):
                errors.append(f"{path}: {mod}/ may not include {header}")
        if path.name != "replies.h" and PROTOCOL_STRING.search(text):
            errors.append(f"{path}: protocol error strings belong in proto/replies.h")
    return errors


def main():
    src = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "src")
    errors = check(src)
    for e in errors:
        print(e)
    print(f"check_includes: {len(errors)} problem(s)")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
