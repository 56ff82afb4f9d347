#!/usr/bin/env python3
"""HTTP Basic authentication for a web server, checked by appw.

A tiny HTTP service for nginx `auth_request` or Caddy `forward_auth`: for each request it
runs `appw verify --basic --source CLIENT` with the request's Authorization header on
standard input, and answers

  204  the credential is valid (with X-Appw-User and X-Appw-Credential headers),
  401  it is missing or rejected (with WWW-Authenticate: Basic),
  500  appw could not check it (unusable store, bad configuration; see stderr).

CLIENT is the connecting address; when that is a loopback address (the proxy on the same
host), the X-Real-IP header (nginx) or the first X-Forwarded-For entry (Caddy) instead.
appw is found on PATH (or --appw) and uses its usual store: APPW_DB, or the default one
of the user the handler runs as. Python's standard library only.
"""

import argparse
import ipaddress
import json
import subprocess
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

MAX_HEADER = 1024  # appw refuses longer lines anyway


def client_address(handler):
    peer = handler.client_address[0]
    try:
        from_proxy = ipaddress.ip_address(peer).is_loopback
    except ValueError:
        from_proxy = False
    if from_proxy:
        real = handler.headers.get("X-Real-IP")
        if real:
            return real.strip()
        forwarded = handler.headers.get("X-Forwarded-For")
        if forwarded:
            return forwarded.split(",")[0].strip()
    return peer


class AuthHandler(BaseHTTPRequestHandler):
    server_version = "appw-auth-handler"
    protocol_version = "HTTP/1.0"

    def answer(self, status, headers=()):
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Content-Length", "0")
        self.send_header("Cache-Control", "no-store")
        self.end_headers()

    def reject(self):
        realm = self.server.realm.replace('"', "")
        self.answer(401, [("WWW-Authenticate", f'Basic realm="{realm}", charset="UTF-8"')])

    def check(self):
        header = self.headers.get("Authorization", "")
        if not header or len(header) > MAX_HEADER or "\n" in header or "\r" in header:
            return self.reject()
        command = [self.server.appw, "verify", "--basic", "--json",
                   "--source", client_address(self)[:200]]
        try:
            done = subprocess.run(command, input=header + "\n", capture_output=True,
                                  text=True, timeout=30)
        except (OSError, subprocess.TimeoutExpired) as err:
            self.log_message("cannot run appw: %s", err)
            return self.answer(500)
        if done.returncode == 0:
            found = json.loads(done.stdout)
            return self.answer(204, [("X-Appw-User", found["user"]),
                                     ("X-Appw-Credential", found["id"])])
        if done.returncode == 1:
            return self.reject()
        self.log_message("appw exited %d: %s", done.returncode, done.stderr.strip())
        return self.answer(500)

    do_GET = do_HEAD = do_POST = check


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--listen", default="127.0.0.1:9180", metavar="HOST:PORT",
                        help="address to listen on (default 127.0.0.1:9180; port 0 picks one)")
    parser.add_argument("--appw", default="appw", help="the appw binary (default: from PATH)")
    parser.add_argument("--realm", default="appw", help="realm in WWW-Authenticate")
    args = parser.parse_args()
    host, _, port = args.listen.rpartition(":")
    server = ThreadingHTTPServer((host.strip("[]"), int(port)), AuthHandler)
    server.appw, server.realm = args.appw, args.realm
    print(f"appw-auth-handler listening on {host}:{server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())
