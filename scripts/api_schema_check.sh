#!/usr/bin/env bash
# Schema check of the edge API: schemathesis (PyPI, pinned) against the OpenAPI document the
# server serves at /api/openapi.json (src/edge/openapi.json) and the running server, with a
# signed-in demo customer.
#
#   scripts/api_schema_check.sh                      # default: 100 examples per operation (~30 s)
#   SCHEMA_CHECK_EXAMPLES=100 scripts/api_schema_check.sh
#   scripts/api_schema_check.sh --include-path /api/invoices   # extra arguments go to schemathesis
#
# Needs: python3 with venv (Debian: apt-get install python3-venv), curl, network access to PyPI on
# the first run (the venv is kept in target/schemathesis-venv), and target/debug/portalgen
# (cargo build). Starts `portalgen serve --demo` on a free loopback port from a temporary copy of
# tenants/ themes/ help/ with a temporary db, outbox and secret, signs in the first lumio demo
# customer with a code from the outbox, runs `schemathesis run` (checks: not_a_server_error,
# response_schema_conformance, status_code_conformance, content_type_conformance), stops the
# server. Not tested: /api/auth/logout (it would end the session), /webhooks/* and /admin/*
# (other authentication). Exits non-zero on any failure.
set -euo pipefail

SCHEMATHESIS_VERSION=4.32.5
REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
VENV="$REPO/target/schemathesis-venv"
BIN="${PORTALGEN_BIN:-$REPO/target/debug/portalgen}"
EXAMPLES="${SCHEMA_CHECK_EXAMPLES:-100}"

log() { echo "== $*" >&2; }

[ -x "$BIN" ] || { echo "no $BIN (run cargo build first)" >&2; exit 2; }

# (a) the venv with a pinned schemathesis
if [ ! -x "$VENV/bin/schemathesis" ] ||
   [ "$("$VENV/bin/python" -c 'import importlib.metadata as m; print(m.version("schemathesis"))' 2>/dev/null)" != "$SCHEMATHESIS_VERSION" ]; then
  log "creating $VENV with schemathesis==$SCHEMATHESIS_VERSION"
  if ! python3 -m venv --clear "$VENV"; then
    echo "python3 -m venv failed; on Debian: apt-get install -y python3-venv" >&2
    exit 2
  fi
  "$VENV/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$SCHEMATHESIS_VERSION"
fi

# (b) the server, from a temporary copy of the example workspace
WORK="$(mktemp -d "${TMPDIR:-/tmp}/api-schema-check.XXXXXX")"
SERVER_PID=""
cleanup() {
  if [ -n "$SERVER_PID" ] && kill -0 "$SERVER_PID" 2>/dev/null; then
    kill -TERM "$SERVER_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$SERVER_PID" 2>/dev/null || true
    wait "$SERVER_PID" 2>/dev/null || true
  fi
  if [ -n "${KEEP_WORK:-}" ]; then echo "kept $WORK" >&2; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

mkdir -p "$WORK/ws" "$WORK/state"
cp -R "$REPO/tenants" "$REPO/themes" "$REPO/help" "$WORK/ws/"
PORT="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
OUTBOX="$WORK/state/outbox"
log "portalgen serve --demo on 127.0.0.1:$PORT (log: $WORK/server.log)"
(cd "$WORK/ws" && exec env -u PORTALGEN_CLOCK_FILE "$BIN" serve --demo \
   --listen "127.0.0.1:$PORT" --db "$WORK/state/db.sqlite" \
   --secret-file "$WORK/state/secret.key" --outbox "$OUTBOX" \
   >"$WORK/banner.txt" 2>"$WORK/server.log") &
SERVER_PID=$!
for _ in $(seq 600); do
  grep -q 'Ctrl-C stops' "$WORK/banner.txt" 2>/dev/null && break
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/banner.txt" "$WORK/server.log" >&2; exit 1; }
  sleep 0.1
done
curl -fsS -o /dev/null "http://127.0.0.1:$PORT/healthz" || { echo "server not answering" >&2; exit 1; }

# (c) sign in the first lumio demo customer by code
HOST="lumio.localhost:$PORT"
ORIGIN="http://$HOST"
EMAIL="$(awk '/^  [a-z0-9-]+  http:\/\// {slug=$1} /sign in as/ && slug=="lumio" {for (i=1;i<=NF;i++) if ($i=="as") {print $(i+1); exit}}' "$WORK/banner.txt")"
[ -n "$EMAIL" ] || { echo "no lumio demo address in the banner" >&2; cat "$WORK/banner.txt" >&2; exit 1; }
log "signing in $EMAIL"
api_post() {  # path body -> response headers+body on stdout
  curl -sS -i -X POST "http://127.0.0.1:$PORT$1" -H "Host: $HOST" -H "Origin: $ORIGIN" \
       -H 'Content-Type: application/json' --data "$2"
}
api_post /api/auth/code "{\"email\":\"$EMAIL\"}" | head -1 | grep -q ' 202' ||
  { echo "code request failed" >&2; exit 1; }
CODE=""
for _ in $(seq 100); do
  MAIL="$(ls -t "$OUTBOX"/*.eml 2>/dev/null | head -1 || true)"
  if [ -n "$MAIL" ]; then
    CODE="$(python3 - "$MAIL" <<'EOF'
import email, re, sys
msg = email.message_from_bytes(open(sys.argv[1], "rb").read())
text = next(p for p in msg.walk() if p.get_content_type() == "text/plain")
print(re.search(r"(?<!\d)\d{6}(?!\d)", text.get_payload(decode=True).decode()).group(0))
EOF
)"
    break
  fi
  sleep 0.1
done
[ -n "$CODE" ] || { echo "no sign-in code in $OUTBOX" >&2; exit 1; }
COOKIE="$(api_post /api/auth/verify "{\"email\":\"$EMAIL\",\"code\":\"$CODE\"}" |
          tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(portal_session=[0-9a-f]*\);.*/\1/p' | head -1)"
[ -n "$COOKIE" ] || { echo "verify failed" >&2; exit 1; }
curl -fsS -o /dev/null -H "Host: $HOST" -H "Cookie: $COOKIE" "http://127.0.0.1:$PORT/api/session" ||
  { echo "the session does not work" >&2; exit 1; }

# (d) schemathesis
log "schemathesis $SCHEMATHESIS_VERSION, $EXAMPLES examples per operation"
STATUS=0
# from $WORK, so its .schemathesis/ replay folder does not land in the repository
(cd "$WORK" && "$VENV/bin/schemathesis" run "http://127.0.0.1:$PORT/api/openapi.json" \
  --url "http://127.0.0.1:$PORT" \
  -H "Host: $HOST" -H "Origin: $ORIGIN" -H "Cookie: $COOKIE" \
  --checks not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance \
  --exclude-path /api/auth/logout \
  --exclude-path-regex '^/(webhooks|admin)/' \
  --max-examples "$EXAMPLES" \
  --seed "${SCHEMA_CHECK_SEED:-1}" \
  --no-color \
  "$@") || STATUS=$?

if grep -q ' 5[0-9][0-9] ' "$WORK/server.log"; then
  log "server answers 5xx in its log:"
  grep ' 5[0-9][0-9] ' "$WORK/server.log" | head -20 >&2
fi
# (e) the trap stops the server
exit "$STATUS"
