"""Test certificates for the TLS tests, made at test time with the openssl CLI (issue #12).

Nothing here is checked in: every key is generated into a temporary directory and removed with it.
EC P-256 keys keep generation fast (~10 ms each).
"""

import os
import shutil
import subprocess
import tempfile

OPENSSL = shutil.which("openssl")


def _run(*args, cwd):
    subprocess.run([OPENSSL, *args], cwd=cwd, check=True, timeout=30,
                   stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


class Certs:
    """Paths of a CA, a server certificate, client certificates and the bad ones.

    ca, other_ca: two unrelated CAs. server (CN=localhost, SAN IP:127.0.0.1) and server2 (the same
    names, another key) are signed by `ca`. client1 and client2 (CN=client1/client2) are signed by
    `ca`; expired (CN=expired, notAfter in the past) by `ca`; stranger (CN=client1) by other_ca.
    Each name X has X.crt and X.key in `dir`.
    """

    def __init__(self, directory):
        self.dir = directory
        self._ca("ca", "Test CA")
        self._ca("other_ca", "Other CA")
        self._leaf("server", "localhost", "ca", server=True)
        self._leaf("server2", "localhost", "ca", server=True)
        self._leaf("client1", "client1", "ca")
        self._leaf("client2", "client2", "ca")
        self._leaf("expired", "expired", "ca", days="-1")
        self._leaf("stranger", "client1", "other_ca")

    def crt(self, name):
        return os.path.join(self.dir, f"{name}.crt")

    def key(self, name):
        return os.path.join(self.dir, f"{name}.key")

    def _key(self, name):
        _run("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
             "-out", f"{name}.key", cwd=self.dir)

    def _ca(self, name, cn):
        self._key(name)
        _run("req", "-x509", "-new", "-key", f"{name}.key", "-out", f"{name}.crt", "-days", "30",
             "-subj", f"/CN={cn}", cwd=self.dir)

    def _leaf(self, name, cn, ca, server=False, days="30"):
        self._key(name)
        _run("req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", f"/CN={cn}",
             cwd=self.dir)
        ext = os.path.join(self.dir, f"{name}.ext")
        with open(ext, "w") as f:
            if server:
                f.write("subjectAltName=IP:127.0.0.1,DNS:localhost\n")
            else:
                f.write("extendedKeyUsage=clientAuth\n")
        _run("x509", "-req", "-in", f"{name}.csr", "-CA", f"{ca}.crt", "-CAkey", f"{ca}.key",
             "-CAcreateserial", "-out", f"{name}.crt", "-days", days, "-extfile", ext,
             cwd=self.dir)


def make_certs():
    """A Certs in a fresh temporary directory; the caller removes `certs.dir`."""
    return Certs(tempfile.mkdtemp(prefix="cc-tls-"))
