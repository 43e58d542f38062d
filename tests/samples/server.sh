#!/bin/bash
# server.sh - secdec-license-server's protocol and limits, with curl: a grant that loads on
# the device, and every refusal as JSON with a reason (400, 403, 404, 405, 411, 413), a slow
# client cut off after --request-timeout, the grant log, loopback-only default address.
# SPDX-License-Identifier: LGPL-2.1-or-later
source "$(dirname "$0")/lib.sh"
need curl
need openssl
: "${SECDEC_INFO:?}"
jwk "$WORK/keys.json" "$KID:$KEY" "$KID2:$KEY2"
start_server "$WORK/keys.json" --max-body 4096 --request-timeout 1
case "$SERVER_URL" in http://127.0.0.1:*/) pass "listens on loopback by default: $SERVER_URL" ;; *) fail "address $SERVER_URL" ;; esac
fresh_home
"$SECDEC_INFO" --certificate "$WORK/device.der" > /dev/null
CERT=$(base64 -w0 "$WORK/device.der")

# post NAME BODY [curl args]: status code to $WORK/NAME.code, body to $WORK/NAME.json
post() {
  local name=$1 body=$2; shift 2
  curl -s -m 10 -o "$WORK/$name.json" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "$body" "$@" "${SERVER_URL}license" > "$WORK/$name.code" || true
}
# expect NAME CODE ERROR [PATTERN]
expect() {
  local code
  code=$(cat "$WORK/$1.code")
  if [ "$code" = "$2" ] && grep -q "\"error\" *: *\"$3\"" "$WORK/$1.json" && grep -q '"reason"' "$WORK/$1.json" \
     && { [ -z "${4:-}" ] || grep -q "$4" "$WORK/$1.json"; }; then
    pass "$1: $code $(cat "$WORK/$1.json")"
  else fail "$1: got $code $(cat "$WORK/$1.json" 2>/dev/null), want $2 $3"; fi
}

# a grant: a license for both KIDs (hex and base64url forms) that loads on this device
post grant "{\"certificate\":\"$CERT\",\"kids\":[\"$KID\",\"$(b64u $KID2)\"]}"
if [ "$(cat "$WORK/grant.code")" = 200 ]; then
  sed -n 's/.*"license" *: *"\([^"]*\)".*/\1/p' "$WORK/grant.json" | base64 -d > "$WORK/grant.lic"
  if [ "$(stat -c %s "$WORK/grant.lic")" -eq $((334 + 64)) ] \
     && SECDEC_HOME=$SECDEC_HOME "$(dirname "$SECDEC_INFO")/secdec-license" check "$WORK/grant.lic" > "$WORK/check.txt" 2>&1; then
    pass "grant: 200, a 2-key license that loads on the device ($(head -1 "$WORK/check.txt"))"
  else fail "grant: license does not load: $(cat "$WORK/check.txt" 2>/dev/null)"; fi
else fail "grant: $(cat "$WORK/grant.code") $(cat "$WORK/grant.json")"; fi
FP=$(sha256sum "$WORK/device.der" | cut -d' ' -f1)
grep -q "client=127.0.0.1:[0-9]* grant cert-sha256=$FP kids=$KID,$KID2 " "$WORK/server.err" \
  && pass "grant logged with time, client, certificate fingerprint and KIDs" \
  || fail "grant log: $(cat "$WORK/server.err")"

post unknown-kid "{\"certificate\":\"$CERT\",\"kids\":[\"$KID3\"]}"
expect unknown-kid 403 unknown-kid "\"kid\" *: *\"$KID3\""
post not-json '{"certificate":'
expect not-json 400 malformed
post no-kids "{\"certificate\":\"$CERT\"}"
expect no-kids 400 malformed
post empty-kids "{\"certificate\":\"$CERT\",\"kids\":[]}"
expect empty-kids 400 malformed
post bad-kid "{\"certificate\":\"$CERT\",\"kids\":[\"0123\"]}"
expect bad-kid 400 malformed
post dup-kid "{\"certificate\":\"$CERT\",\"kids\":[\"$KID\",\"$KID\"]}"
expect dup-kid 400 malformed
post not-base64 '{"certificate":"***","kids":["'$KID'"]}'
expect not-base64 400 bad-certificate
post not-a-cert "{\"certificate\":\"$(head -c 300 /dev/urandom | base64 -w0)\",\"kids\":[\"$KID\"]}"
expect not-a-cert 400 bad-certificate
openssl req -x509 -newkey rsa:1024 -nodes -keyout /dev/null -subj /CN=x -days 1 -outform DER -out "$WORK/rsa1024.der" 2>/dev/null
post rsa1024 "{\"certificate\":\"$(base64 -w0 "$WORK/rsa1024.der")\",\"kids\":[\"$KID\"]}"
expect rsa1024 400 bad-certificate
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout /dev/null -subj /CN=x -days 1 -outform DER -out "$WORK/ec.der" 2>/dev/null
post ec "{\"certificate\":\"$(base64 -w0 "$WORK/ec.der")\",\"kids\":[\"$KID\"]}"
expect ec 400 bad-certificate
head -c 5000 /dev/zero | tr '\0' 'a' > "$WORK/big.txt"
post too-large "@$WORK/big.txt"
expect too-large 413 too-large
post chunked "{\"certificate\":\"$CERT\",\"kids\":[\"$KID\"]}" -H 'Transfer-Encoding: chunked'
expect chunked 411 length-required
curl -s -m 10 -o "$WORK/get.json" -w '%{http_code}' "${SERVER_URL}license" > "$WORK/get.code" || true
expect get 405 method
curl -s -m 10 -o "$WORK/other.json" -w '%{http_code}' --data-binary '{}' "${SERVER_URL}other" > "$WORK/other.code" || true
expect other 404 not-found

# a slow client: half a request line, then nothing -> cut off after --request-timeout (1 s)
t0=$(date +%s%N)
exec 3<>"/dev/tcp/127.0.0.1/$SERVER_PORT"
printf 'POST /license HTTP/1.1\r\nHost: x\r\n' >&3
timeout 8 cat <&3 > /dev/null || true
exec 3<&-
t1=$(date +%s%N)
ms=$(( (t1 - t0) / 1000000 ))
if [ $ms -ge 900 ] && [ $ms -lt 5000 ] && grep -q "request not complete in time" "$WORK/server.err"; then
  pass "slow client cut off after $ms ms"
else fail "slow client: connection lasted $ms ms"; fi
# ... and the server still answers
post after-slow "{\"certificate\":\"$CERT\",\"kids\":[\"$KID\"]}"
[ "$(cat "$WORK/after-slow.code")" = 200 ] && pass "still serving after the slow client" || fail "after slow client: $(cat "$WORK/after-slow.code")"

# usage errors
rc=0; "$SECDEC_LICENSE_SERVER" --port 0 > /dev/null 2>&1 || rc=$?
[ $rc -eq 2 ] && pass "--keys required: exit 2" || fail "no --keys: exit $rc"
echo '{"keys":[]}' > "$WORK/bad.json"
rc=0; "$SECDEC_LICENSE_SERVER" --keys "$WORK/bad.json" --port 0 > /dev/null 2> "$WORK/bad.err" || rc=$?
[ $rc -eq 1 ] && pass "bad key file: exit 1 ($(cat "$WORK/bad.err"))" || fail "bad key file: exit $rc"
rc=0; "$SECDEC_LICENSE_SERVER" --keys "$WORK/keys.json" --port "$SERVER_PORT" > /dev/null 2> "$WORK/busy.err" || rc=$?
[ $rc -eq 1 ] && pass "port in use: exit 1 ($(cat "$WORK/busy.err"))" || fail "port in use: exit $rc"
stop_server
grep -q "stopping (2 licenses granted)" "$WORK/server.err" && pass "SIGTERM: clean stop" || fail "stop: $(tail -1 "$WORK/server.err")"
finish
