#!/usr/bin/env bash
# test-package.sh: the packaging CI check. Run as root on Debian 12, from anywhere:
#
#     bash packaging/test-package.sh
#
# Builds the .deb and the .rpm from scratch (packaging/out/ is emptied first), runs lintian
# (errors fail), installs the .deb with apt-get, checks the installed files, user, directory,
# unit (systemd-analyze verify) and man pages, starts the INSTALLED binary as the corecached
# user with the INSTALLED config on a free loopback port, talks memcached to it, stops it with
# SIGTERM, then purges the package and checks that it is gone. The .rpm is checked without
# installing it: file list, config file, scriptlets, and its binary run from an unpacked root.
# No systemd runs as PID 1 here, so the service itself is not started with systemctl.
#
# Ends with "N passed, N failed" and exits 0 only if every check ran and passed.
# Missing tools and Build-Depends are installed with apt-get (INSTALL_DEPS=0 skips that).
# JOBS (default 2) limits the compiles; SOURCE_REF=HEAD builds the last commit instead of
# the working tree (see export-source.sh). BUILD_TIMEOUT (default 1800 s) bounds each package
# build: a busy shared machine took over 900 s for the .deb alone.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/.." && pwd)
out=$here/out
export JOBS=${JOBS:-2}
EXPECTED_CHECKS=49   # every check below; fewer run means the script stopped early

passed=0 failed=0 started=$SECONDS
work=$(mktemp -d "${TMPDIR:-/tmp}/corecached-pkgtest.XXXXXX")
server_pid=""
installed_by_us=0

pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s\n' "$1"; [[ -z ${2:-} ]] || sed 's/^/      | /' "$2" | tail -n 40; }
# check NAME CMD...: one check; the command's output is shown only when it fails.
check() {
  local name=$1; shift
  if "$@" >"$work/check.out" 2>&1; then pass "$name"; else fail "$name" "$work/check.out"; fi
}
note() { printf 'NOTE  %s\n' "$*"; }

cleanup() {
  if [[ -n $server_pid ]] && kill -0 "$server_pid" 2>/dev/null; then
    kill -KILL "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null
  fi
  if (( installed_by_us )) && dpkg -s corecached >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get purge -y corecached >/dev/null 2>&1
  fi
  rm -rf "$work"
}
finish() {
  cleanup
  local ran=$((passed + failed))
  if (( ran != EXPECTED_CHECKS )); then
    printf 'FAIL  %d of %d checks ran\n' "$ran" "$EXPECTED_CHECKS"; failed=$((failed + 1))
  fi
  printf '%d passed, %d failed (%ds)\n' "$passed" "$failed" "$((SECONDS - started))"
  # An explicit status: a bare "exit" in an EXIT trap keeps the status from before the trap.
  if (( failed == 0 && passed == EXPECTED_CHECKS )); then exit 0; else exit 1; fi
}
trap finish EXIT
# abort REASON: a step the rest depends on failed; the checks not run count as missing.
abort() { fail "$1" "${2:-}"; exit 1; }

# ---- 0. preconditions -------------------------------------------------------------------------
[[ $(id -u) == 0 ]] || abort "must run as root (installs and purges a package)"
if [[ ${INSTALL_DEPS:-1} == 1 ]]; then
  tools=(dpkg-dev debhelper fakeroot lintian rpm cpio systemd groff-base man-db python3 util-linux)
  missing=()
  for p in "${tools[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
  # Build-Depends that dpkg-checkbuilddeps reports unmet, without their version constraints.
  unmet=$(dpkg-checkbuilddeps "$here/debian/control" 2>&1 | sed -n 's/.*Unmet build dependencies: //p' |
          sed 's/([^)]*)//g; s/|[^ ]*//g')
  missing+=($unmet)
  if (( ${#missing[@]} )); then
    echo "installing: ${missing[*]}"
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}" \
      >"$work/apt-deps.log" 2>&1 || abort "apt-get install of the build tools" "$work/apt-deps.log"
  fi
fi

# Versions agree: meson.build, debian/changelog, the spec.
v_meson=$(sed -n "s/^ *version *: *'\([^']*\)'.*/\1/p" "$top/meson.build" | head -n1)
v_deb=$(dpkg-parsechangelog -l "$here/debian/changelog" -S Version)
v_rpm=$(sed -n 's/^%global version_ *//p' "$here/rpm/corecached.spec")
check "versions agree: meson.build $v_meson, debian/changelog $v_deb, spec $v_rpm" \
  test -n "$v_meson" -a "$v_meson" = "${v_deb%%-*}" -a "$v_meson" = "$v_rpm"

# The unit as committed, before any package exists (man pages are not installed yet).
sed 's#/usr/bin/corecached#'"$work"'/corecached#g' "$here/corecached.service" >"$work/corecached.service"
cp /bin/true "$work/corecached"
check "systemd-analyze verify packaging/corecached.service (source tree)" \
  systemd-analyze verify --man=no "$work/corecached.service"

# A clean start: no corecached installed, no user left from an earlier run, no old packages.
if dpkg -s corecached >/dev/null 2>&1; then
  note "corecached is installed; purging it first"
  DEBIAN_FRONTEND=noninteractive apt-get purge -y corecached >/dev/null 2>&1
fi
if getent passwd corecached >/dev/null; then note "removing user corecached left from an earlier install"; userdel corecached; fi
if getent group corecached >/dev/null; then groupdel corecached; fi
rm -f "$out"/corecached[_-]*.deb "$out"/corecached_*.changes "$out"/corecached_*.buildinfo "$out"/corecached-*.rpm
check "clean start: no package, binary, config, user or /var/lib/corecached" \
  bash -c '! dpkg -s corecached && [[ ! -e /usr/bin/corecached && ! -e /etc/corecached && ! -e /var/lib/corecached ]] && ! getent passwd corecached'

# ---- 1. build ---------------------------------------------------------------------------------
t=$SECONDS
timeout "${BUILD_TIMEOUT:-1800}" bash "$here/build-deb.sh" >"$work/build-deb.log" 2>&1 || abort "build-deb.sh" "$work/build-deb.log"
debs=("$out"/corecached_"$v_deb"_*.deb)
[[ -f ${debs[0]} ]] || abort "build-deb.sh made no corecached_${v_deb}_*.deb" "$work/build-deb.log"
deb=${debs[0]}
pass "build-deb.sh: ${deb#"$top"/} ($((SECONDS - t))s)"

t=$SECONDS
timeout "${BUILD_TIMEOUT:-1800}" bash "$here/build-rpm.sh" >"$work/build-rpm.log" 2>&1 || abort "build-rpm.sh" "$work/build-rpm.log"
rpms=("$out"/corecached-"$v_rpm"-*.rpm)
[[ -f ${rpms[0]} ]] || abort "build-rpm.sh made no corecached-${v_rpm}-*.rpm" "$work/build-rpm.log"
rpmf=${rpms[0]}
pass "build-rpm.sh: ${rpmf#"$top"/} ($((SECONDS - t))s)"

# ---- 2. lintian and the .deb's contents -------------------------------------------------------
lintian --fail-on error --display-info "$deb" >"$work/lintian.log" 2>&1
lintian_rc=$?
n_e=$(grep -c '^E: ' "$work/lintian.log") n_w=$(grep -c '^W: ' "$work/lintian.log")
if (( lintian_rc == 0 && n_e == 0 )); then pass "lintian: 0 errors, $n_w warnings"
else fail "lintian: exit $lintian_rc, $n_e errors, $n_w warnings" "$work/lintian.log"; fi
grep '^[WI]: ' "$work/lintian.log" | sed 's/^/      lintian /'

dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\./#/#' >"$work/deb.files"
check ".deb holds the binary, config, unit, sysusers, tmpfiles and both man pages" bash -c '
  for f in /usr/bin/corecached /etc/corecached/corecached.yaml /lib/systemd/system/corecached.service \
           /usr/lib/sysusers.d/corecached.conf /usr/lib/tmpfiles.d/corecached.conf \
           /usr/share/man/man8/corecached.8.gz /usr/share/man/man5/corecached.yaml.5.gz; do
    grep -qx "$f" "$1" || { echo "missing: $f"; exit 1; }
  done
  ! grep "^/usr/lib/systemd/system/" "$1"   # Debian 12 enables units from /lib only' _ "$work/deb.files"
check ".deb marks /etc/corecached/corecached.yaml as a conffile" \
  bash -c 'dpkg-deb -I "$1" conffiles | grep -qx /etc/corecached/corecached.yaml' _ "$deb"

# ---- 3. the .rpm (not installed: this is not an RPM system) -----------------------------------
check ".rpm holds the same files" bash -c '
  l=$(rpm -qlp "$1") || exit 1
  for f in /usr/bin/corecached /etc/corecached/corecached.yaml /usr/lib/systemd/system/corecached.service \
           /usr/lib/sysusers.d/corecached.conf /usr/lib/tmpfiles.d/corecached.conf /var/lib/corecached; do
    grep -qx "$f" <<<"$l" || { echo "missing: $f"; exit 1; }
  done
  grep -q "^/usr/share/man/man8/corecached.8" <<<"$l" && grep -q "^/usr/share/man/man5/corecached.yaml.5" <<<"$l"' _ "$rpmf"
check ".rpm: config(noreplace) yaml, /var/lib/corecached owned by corecached" bash -c '
  rpm -qp --configfiles "$1" | grep -qx /etc/corecached/corecached.yaml &&
  rpm -qp --qf "[%{FILENAMES} %{FILEUSERNAME} %{FILEMODES:perms}\n]" "$1" | grep -qx "/var/lib/corecached corecached drwxr-x---"' _ "$rpmf"
check ".rpm scriptlets: useradd in %pre, tmpfiles and systemctl preset/disable/try-restart" bash -c '
  s=$(rpm -qp --scripts "$1") || exit 1
  for w in "preinstall scriptlet" "useradd -r -g corecached" "systemd-tmpfiles --create" \
           "preset corecached.service" "disable --now corecached.service" "try-restart corecached.service"; do
    grep -qF -- "$w" <<<"$s" || { echo "missing in scriptlets: $w"; exit 1; }
  done' _ "$rpmf"
mkdir -p "$work/rpmroot"
(cd "$work/rpmroot" && rpm2cpio "$rpmf" | cpio -idm --quiet) 2>"$work/cpio.log"
check ".rpm's binary runs: --version says $v_rpm, --check-config passes on its yaml" bash -c '
  "$1/usr/bin/corecached" --version | grep -qw "$2" &&
  "$1/usr/bin/corecached" --check-config "$1/etc/corecached/corecached.yaml"' _ "$work/rpmroot" "$v_rpm"

# ---- 4. install the .deb ----------------------------------------------------------------------
installed_by_us=1
DEBIAN_FRONTEND=noninteractive timeout 300 apt-get install -y "$deb" >"$work/apt-install.log" 2>&1 ||
  abort "apt-get install ${deb#"$top"/}" "$work/apt-install.log"
check "dpkg: corecached $v_deb installed" \
  bash -c '[[ $(dpkg-query -W -f="\${Status} \${Version}" corecached) == "install ok installed $1" ]]' _ "$v_deb"
check "/usr/bin/corecached is executable and reports $v_deb" \
  bash -c '[[ -x /usr/bin/corecached ]] && /usr/bin/corecached --version | grep -qw "$1"' _ "$v_deb"
if [[ -n ${SOURCE_REF:-} ]]; then git -C "$top" show "$SOURCE_REF:conf/corecached.yaml" >"$work/conf.yaml"
else cp "$top/conf/corecached.yaml" "$work/conf.yaml"; fi
check "/etc/corecached/corecached.yaml is the repository's conf/corecached.yaml, a conffile" bash -c '
  cmp /etc/corecached/corecached.yaml "$1" &&
  dpkg-query -W -f="\${Conffiles}" corecached | grep -q "^ /etc/corecached/corecached.yaml "' _ "$work/conf.yaml"
check "unit in /lib/systemd/system, enabled for multi-user.target" bash -c '
  [[ -f /lib/systemd/system/corecached.service ]] &&
  [[ $(readlink /etc/systemd/system/multi-user.target.wants/corecached.service) == /lib/systemd/system/corecached.service ]]'
check "unit runs the installed binary with the installed config as corecached" bash -c '
  u=/lib/systemd/system/corecached.service
  grep -qx "ExecStart=/usr/bin/corecached --config /etc/corecached/corecached.yaml" $u &&
  grep -qx "User=corecached" $u && grep -qx "ExecReload=/bin/kill -HUP \$MAINPID" $u'
check "systemd-analyze verify /lib/systemd/system/corecached.service (installed)" \
  systemd-analyze verify /lib/systemd/system/corecached.service
check "user corecached: system uid, home /var/lib/corecached, no login shell" bash -c '
  IFS=: read -r name _ uid gid _ home shell < <(getent passwd corecached) || exit 1
  echo "$name $uid $gid $home $shell"
  (( uid < 1000 )) && [[ $home == /var/lib/corecached && $shell == */nologin ]] &&
  [[ $(getent group "$gid" | cut -d: -f1) == corecached ]]'
check "/var/lib/corecached: directory, corecached:corecached, mode 750" \
  bash -c '[[ -d /var/lib/corecached && $(stat -c "%U:%G %a" /var/lib/corecached) == "corecached:corecached 750" ]]'
check "corecached (the user) can write /var/lib/corecached" \
  setpriv --reuid=corecached --regid=corecached --init-groups \
    sh -c 'echo x >/var/lib/corecached/.pkgtest && rm /var/lib/corecached/.pkgtest'
check "man pages installed and found by man: corecached(8), corecached.yaml(5)" bash -c '
  [[ $(man -w 8 corecached) == /usr/share/man/man8/corecached.8.gz ]] &&
  [[ $(man -w 5 corecached.yaml) == /usr/share/man/man5/corecached.yaml.5.gz ]]'
check "man pages render without warnings (groff -ww)" bash -c '
  for p in /usr/share/man/man8/corecached.8.gz /usr/share/man/man5/corecached.yaml.5.gz; do
    e=$(zcat "$p" | groff -ww -man -Tutf8 2>&1 >/dev/null); [[ -z $e ]] || { echo "$p: $e"; exit 1; }
    [[ $(zcat "$p" | groff -man -Tutf8 | wc -l) -gt 20 ]] || { echo "$p renders almost nothing"; exit 1; }
  done'
check "corecached --check-config /etc/corecached/corecached.yaml exits 0" \
  /usr/bin/corecached --check-config /etc/corecached/corecached.yaml
printf 'port: eleven\nno_such_key: 1\n' >"$work/bad.yaml"
check "corecached --check-config on a bad file exits 2 (the check can fail)" bash -c '
  /usr/bin/corecached --check-config "$1"; rc=$?; echo "exit $rc"; (( rc == 2 ))' _ "$work/bad.yaml"

# ---- 5. run the installed binary as corecached ------------------------------------------------
# mc PORT REQUEST EXPECTED: send REQUEST (with \r\n escapes) on a new connection, read the reply
# until it is as long as EXPECTED (or 5 s), print it; succeed if it is EXPECTED exactly.
# EXPECTED "*" reads up to "END\r\n" and accepts any such reply.
mc() {
  python3 - "$@" <<'PY'
import socket, sys, time
unesc = lambda t: t.encode().decode('unicode_escape').encode('latin-1')
port, req, want = int(sys.argv[1]), unesc(sys.argv[2]), sys.argv[3]
want = None if want == '*' else unesc(want)
s = socket.create_connection(('127.0.0.1', port), timeout=5)
s.sendall(req)
buf, deadline = b'', time.time() + 5
while time.time() < deadline:
    if want is None and buf.endswith(b'END\r\n'): break
    if want is not None and len(buf) >= len(want): break
    try: chunk = s.recv(65536)
    except socket.timeout: break
    if not chunk: break
    buf += chunk
sys.stdout.write(buf.decode('latin-1'))
sys.exit(0 if (buf == want if want is not None else buf.endswith(b'END\r\n')) else 1)
PY
}
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
stats_match() {  # stats_match PORT LINE...: every LINE is in the stats reply
  stats_cmd_match "$1" stats "${@:2}"
}
stats_cmd_match() {  # stats_cmd_match PORT COMMAND LINE...: every LINE is in COMMAND's reply
  local r; r=$(mc "$1" "$2\\r\\n" '*') || return 1; shift 2
  printf '%s\n' "$r" | tr -d '\r' >"$work/stats.txt"
  local l; for l in "$@"; do grep -qx "$l" "$work/stats.txt" || { echo "no '$l' in:"; cat "$work/stats.txt"; return 1; }; done
}

port=$(free_port)
(cd / && exec setpriv --reuid=corecached --regid=corecached --init-groups --no-new-privs \
   /usr/bin/corecached --config /etc/corecached/corecached.yaml -l 127.0.0.1 -p "$port") \
  >"$work/server.log" 2>&1 &
server_pid=$!
up=0
for _ in $(seq 1 100); do
  kill -0 "$server_pid" 2>/dev/null || break
  if mc "$port" '' '' >/dev/null 2>&1; then up=1; break; fi   # connects
  sleep 0.1
done
(( up )) || abort "installed corecached listening on 127.0.0.1:$port within 10 s" "$work/server.log"
pass "installed corecached started as corecached on 127.0.0.1:$port (pid $server_pid)"
check "the process is /usr/bin/corecached running as corecached" bash -c '
  [[ $(readlink /proc/$1/exe) == /usr/bin/corecached && $(stat -c %U /proc/$1) == corecached ]]' _ "$server_pid"

key="pkgtest_$RANDOM$RANDOM" value="v$RANDOM$RANDOM$RANDOM"
check "set $key" mc "$port" "set $key 7 0 ${#value}\\r\\n$value\\r\\n" 'STORED\r\n'
check "get $key returns the value" mc "$port" "get $key\\r\\n" "VALUE $key 7 ${#value}\\r\\n$value\\r\\nEND\\r\\n"
check "stats: pid is the started process, version $v_deb, 1 set, 1 hit, 1 item" \
  stats_match "$port" "STAT pid $server_pid" "STAT version .*corecached-$v_deb" \
    "STAT cmd_set 1" "STAT get_hits 1" "STAT curr_items 1"
check "delete $key" mc "$port" "delete $key\\r\\n" 'DELETED\r\n'
check "get $key misses after delete" mc "$port" "get $key\\r\\n" 'END\r\n'

# The packaged config turns the cold tier on (issue #4) in the state directory the unit owns.
check "stats settings: cold tier enabled at /var/lib/corecached/cold" \
  stats_cmd_match "$port" "stats settings" "STAT cold_tier_enabled yes" \
    "STAT cold_tier_path /var/lib/corecached/cold"
check "/var/lib/corecached/cold holds the LMDB files (data.mdb, lock.mdb), owned by corecached" bash -c '
  d=/var/lib/corecached/cold; ls -la "$d"
  [[ -f $d/data.mdb && -f $d/lock.mdb && $(stat -c %U "$d" "$d/data.mdb" | sort -u) == corecached ]]'

kill -TERM "$server_pid"
stopped=0
for _ in $(seq 1 100); do kill -0 "$server_pid" 2>/dev/null || { stopped=1; break; }; sleep 0.1; done
if (( stopped )); then
  wait "$server_pid"; rc=$?; server_pid=""
  if (( rc == 0 )); then pass "SIGTERM: the server exited 0 within 10 s"
  else fail "SIGTERM: the server exited $rc" "$work/server.log"; fi
else
  fail "SIGTERM: the server still runs after 10 s" "$work/server.log"
fi
check "the port is closed after the server stopped" bash -c '! python3 -c "import socket,sys; socket.create_connection((\"127.0.0.1\", int(sys.argv[1])), timeout=2)" "$1"' _ "$port"

# The packaged config and the unit agree: the unit runs the server in the foreground (Type=simple),
# so the file must not daemonize it, and pid_file/user (the memcached-style start below) stay off.
check "packaged config under the unit: daemonize false, no pid_file, no user; unit Type=simple" bash -c '
  y=$(/usr/bin/corecached --config /etc/corecached/corecached.yaml --print-yaml) || exit 1
  grep -qx "daemonize: false" <<<"$y" && grep -qx "pid_file: \"\"" <<<"$y" && grep -qx "user: \"\"" <<<"$y" &&
  grep -qx "Type=simple" /lib/systemd/system/corecached.service'

# ---- 5b. memcached-style starts of the installed binary ---------------------------------------
# wait_gone PID: wait up to 10 s for PID (not necessarily our child) to exit.
wait_gone() { local i; for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || return 0; sleep 0.1; done; return 1; }
# wait_port PID PORT: wait up to 10 s until PORT accepts connections while PID runs.
wait_port() {
  local i; for i in $(seq 1 100); do
    kill -0 "$1" 2>/dev/null || return 1
    python3 -c 'import socket,sys; socket.create_connection(("127.0.0.1", int(sys.argv[1])), timeout=1)' "$2" \
      2>/dev/null && return 0
    sleep 0.1
  done; return 1
}
chmod 711 "$work"   # the server, once it runs as corecached, reads the certificates below

# Debian's /etc/memcached.conf as start-memcached passes it (-d ... -P FILE), started by root:
# the starter exits once the daemon listens, the daemon writes the pid file, then runs as
# corecached. The pid file's directory belongs to the service user, as /run/memcached does, so
# the daemon can remove the file when it stops.
rundir=$work/run
install -d -o corecached -g corecached -m 755 "$rundir"
port=$(free_port)
(cd / && exec timeout 20 /usr/bin/corecached -d -m 64 -p "$port" -u corecached -l 127.0.0.1 \
   -P "$rundir/corecached.pid") >"$work/daemon.log" 2>&1
rc=$?
check "memcached.conf's command line as root (-d -m 64 -p PORT -u corecached -l 127.0.0.1 -P FILE): exit 0, pid file" \
  bash -c 'cat "$3"; (( $1 == 0 )) && [[ -s $2 ]]' _ "$rc" "$rundir/corecached.pid" "$work/daemon.log"
server_pid=$(cat "$rundir/corecached.pid" 2>/dev/null)
check "the daemon (pid file's pid) is /usr/bin/corecached running as corecached" bash -c '
  [[ -n $1 && $(readlink /proc/$1/exe) == /usr/bin/corecached && $(stat -c %U /proc/$1) == corecached ]]' _ "$server_pid"
if [[ -n $server_pid ]]; then
  if stats_match "$port" "STAT pid $server_pid" >"$work/check.out" 2>&1 &&
     stats_cmd_match "$port" "stats settings" "STAT maxbytes 67108864" "STAT tcpport $port" >>"$work/check.out" 2>&1
  then pass "the daemon: stats pid is the pid file's; stats settings has -m 64 and port $port"
  else fail "the daemon: stats pid is the pid file's; stats settings has -m 64 and port $port" "$work/check.out"; fi
else fail "the daemon: no pid to compare with stats pid"; fi
check "the daemon serves set and get" \
  mc "$port" "set dkey 3 0 2\\r\\nhi\\r\\nget dkey\\r\\n" 'STORED\r\nVALUE dkey 3 2\r\nhi\r\nEND\r\n'
[[ -n $server_pid ]] && kill -TERM "$server_pid" 2>/dev/null
check "the daemon stops on SIGTERM within 10 s and removes its pid file" bash -c '
  for i in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
  ! kill -0 "$1" 2>/dev/null && [[ ! -e $2 ]]' _ "${server_pid:-0}" "$rundir/corecached.pid"
server_pid=""

# -Z with a certificate made here: openssl s_client verifies it and talks memcached over TLS.
certs=$work/certs
install -d -m 755 "$certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=localhost \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$certs/server.key" -out "$certs/server.crt" \
  >"$work/openssl.log" 2>&1 || abort "openssl req: a self-signed test certificate" "$work/openssl.log"
chown corecached "$certs/server.key"; chmod 600 "$certs/server.key"
port=$(free_port)
(cd / && exec setpriv --reuid=corecached --regid=corecached --init-groups --no-new-privs \
   /usr/bin/corecached -Z -o "ssl_chain_cert=$certs/server.crt,ssl_key=$certs/server.key" \
   -l 127.0.0.1 -p "$port") >"$work/tls-server.log" 2>&1 &
server_pid=$!
wait_port "$server_pid" "$port" || abort "corecached -Z listening on 127.0.0.1:$port within 10 s" "$work/tls-server.log"
pass "corecached -Z (a generated P-256 certificate) started as corecached on 127.0.0.1:$port"
check "-Z as corecached: s_client verifies the certificate; set, get over TLS" bash -c '
  r=$(printf "%s" "$1" | timeout 15 openssl s_client -quiet -connect "127.0.0.1:$2" -CAfile "$3" \
      -verify_return_error -verify_ip 127.0.0.1 | od -c); echo "$r"
  [[ $r == "$(printf "STORED\r\nVALUE tkey 5 3\r\nabc\r\nEND\r\n" | od -c)" ]]' \
  _ $'set tkey 5 0 3\r\nabc\r\nget tkey\r\nquit\r\n' "$port" "$certs/server.crt"
check "-Z: stats settings over TLS says ssl_enabled yes and names the chain file" bash -c '
  r=$(printf "stats settings\r\nquit\r\n" | timeout 15 openssl s_client -quiet -connect "127.0.0.1:$1" \
      -CAfile "$2" -verify_return_error 2>/dev/null | tr -d "\r")
  grep -qx "STAT ssl_enabled yes" <<<"$r" && grep -qx "STAT ssl_chain_cert $2" <<<"$r"' _ "$port" "$certs/server.crt"
if mc "$port" 'version\r\n' 'VERSION' >"$work/check.out" 2>&1; then
  fail "-Z: a plain-text client gets no memcached reply" "$work/check.out"
else pass "-Z: a plain-text client gets no memcached reply"; fi
kill -TERM "$server_pid"
if wait_gone "$server_pid"; then
  wait "$server_pid"; rc=$?; server_pid=""
  if (( rc == 0 )); then pass "-Z: SIGTERM, the server exited 0"; else fail "-Z: SIGTERM, the server exited $rc" "$work/tls-server.log"; fi
else fail "-Z: the server still runs 10 s after SIGTERM" "$work/tls-server.log"; fi

# ---- 6. purge ---------------------------------------------------------------------------------
DEBIAN_FRONTEND=noninteractive timeout 300 apt-get purge -y corecached >"$work/apt-purge.log" 2>&1
purge_rc=$?
check "apt-get purge -y corecached" bash -c 'cat "$2"; (( $1 == 0 ))' _ "$purge_rc" "$work/apt-purge.log"
installed_by_us=0
check "purged: no binary, config, unit, man pages, /var/lib/corecached or enablement link" bash -c '
  ! dpkg -s corecached 2>/dev/null | grep -q "^Status: install" &&
  for f in /usr/bin/corecached /etc/corecached /lib/systemd/system/corecached.service \
           /usr/share/man/man8/corecached.8.gz /usr/share/man/man5/corecached.yaml.5.gz /var/lib/corecached \
           /etc/systemd/system/multi-user.target.wants/corecached.service; do
    [[ ! -e $f && ! -L $f ]] || { echo "left: $f"; exit 1; }
  done'
