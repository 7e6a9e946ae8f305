#!/usr/bin/env bash
# Seeds corpus/pki_message/ with real pkiMessages: the macOS PKCSReq
# capture from the shared fixtures (when shared/ is beside the checkout)
# and PKCSReqs made by micromdm's scepclient against our example server are
# left to the tests; openssl-made SignedData covers the CMS shapes.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
corpus=$here/corpus/pki_message
mkdir -p "$corpus"
capture=$here/../../../shared/fixtures/micromdm-scep/testdata/PKCSReq.der
[[ -f $capture ]] && cp "$capture" "$corpus/macos-pkcsreq.der"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp"
openssl req -x509 -newkey rsa:2048 -nodes -keyout k.pem -out c.pem -days 1 -subj /CN=seed 2>/dev/null
printf 'content' > data
openssl cms -encrypt -binary -aes128 -in data -outform DER -out env.der c.pem
openssl cms -sign -binary -nodetach -in env.der -signer c.pem -inkey k.pem -outform DER -out "$corpus/signed-envelope.der"
openssl cms -sign -binary -nodetach -stream -in env.der -signer c.pem -inkey k.pem -outform DER -out "$corpus/signed-envelope-ber.der"
echo "seeded $(ls "$corpus" | wc -l) inputs in $corpus"
