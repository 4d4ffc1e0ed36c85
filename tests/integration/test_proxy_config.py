"""Proxy mode (issue #13): --check-config refuses a bad proxy section with the key and its line,
and accepts a good one."""

import pytest

from proxy_fleet import check_config, need_binaries

GOOD = """\
proxy:
  pools:
    main:
      servers: ["127.0.0.1:11211", "127.0.0.1:11212:2"]
      distribution: ketama
      timeout_ms: 250
    sessions:
      servers: ["127.0.0.1:11213 alpha"]
      distribution: ketama_twemproxy
  default_pool: main
  routes:
    - prefix: "sess:"
      pool: sessions
      mirror: [main]
  local_cache:
    enabled: true
    ttl_ms: 500
"""

BAD = [
    # (yaml, key, line)
    ("proxy:\n  pools:\n    main:\n      servers: [\"127.0.0.1:11211\"]\n"
     "  default_pool: nosuch\n", "proxy.default_pool", 5),
    ("proxy:\n  pools:\n    main:\n      servers: [\"127.0.0.1\"]\n",
     "proxy.pools.main.servers[0]", 4),
    ("proxy:\n  pools:\n    main:\n      servers:\n        - \"127.0.0.1:11211\"\n"
     "        - \"127.0.0.1:99999\"\n", "proxy.pools.main.servers[1]", 6),
    ("proxy:\n  pools:\n    main:\n      servers: [\"h:1:0\"]\n",
     "proxy.pools.main.servers[0]", 4),
    ("proxy:\n  pools:\n    main:\n      servers: []\n", "proxy.pools.main.servers", 3),
    ("proxy:\n  pools:\n    main:\n      timeout_ms: 5\n", "proxy.pools.main.servers", 3),
    ("proxy:\n  pools:\n    main:\n      servers: [\"h:1\"]\n  routes:\n"
     "    - prefix: \"a:\"\n      pool: other\n", "proxy.routes[0].pool", 7),
    ("proxy:\n  pools:\n    main:\n      servers: [\"h:1\"]\n  routes:\n"
     "    - prefix: \"a:\"\n      pool: main\n      mirror: [dr]\n", "proxy.routes[0].mirror", 8),
    ("proxy:\n  pools:\n    main:\n      servers: [\"h:1\"]\n      distribution: crc32\n",
     "proxy.pools.main.distribution", 5),
    ("proxy:\n  pools:\n    main:\n      servers: [\"h:1\"]\n      weight: 3\n",
     "proxy.pools.main.weight", 5),
    ("proxy:\n  pools:\n    a:\n      servers: [\"h:1\"]\n    b:\n      servers: [\"h:2\"]\n",
     "proxy.default_pool", 1),
]


def test_good_proxy_section_accepted(tmp_path):
    need_binaries()
    proc, path = check_config(tmp_path, GOOD)
    assert proc.returncode == 0, proc
    assert proc.stdout.strip().splitlines()[-1] == f"{path}: configuration OK"


@pytest.mark.parametrize("yaml,key,line", BAD)
def test_bad_proxy_section_refused_with_key_and_line(tmp_path, yaml, key, line):
    need_binaries()
    proc, path = check_config(tmp_path, yaml)
    assert proc.returncode == 2, proc
    assert proc.stderr.startswith(f"corecached: {path}:{line}: {key}: "), proc.stderr
