#!/usr/bin/env bash
# Generates seed corpora for the fuzz targets with openssl, at run time:
# corpus/ is git-ignored and nothing generated here is committed.
# Run from anywhere (e.g. `./fuzz/seed.sh` in cryptoutil/); needs openssl.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# Self-signed RSA certificate and key (signer and recipient).
openssl req -x509 -newkey rsa:2048 -nodes -sha256 -days 365 \
    -subj "/CN=cryptoutil fuzz seed" \
    -keyout "$work/key.pem" -out "$work/cert.pem" 2>/dev/null
openssl x509 -in "$work/cert.pem" -outform DER -out "$work/cert.der"

# The content is "content": cms_parse verifies detached signatures over it.
printf 'content' >"$work/content.txt"

# SignedData, BER (indefinite lengths) from -stream, with and without signed
# attributes; -stream always encapsulates the content, so the detached seed
# is a plain DER one.
openssl cms -sign -stream -outform DER -nodetach -binary \
    -in "$work/content.txt" -signer "$work/cert.pem" -inkey "$work/key.pem" \
    -out "$work/signed-attached.ber"
openssl cms -sign -outform DER -binary \
    -in "$work/content.txt" -signer "$work/cert.pem" -inkey "$work/key.pem" \
    -out "$work/signed-detached.ber"
openssl cms -sign -stream -outform DER -nodetach -binary -noattr \
    -in "$work/content.txt" -signer "$work/cert.pem" -inkey "$work/key.pem" \
    -out "$work/signed-noattr.ber"

# EnvelopedData, BER from -stream, AES and triple DES.
openssl cms -encrypt -stream -outform DER -binary -aes128 \
    -in "$work/content.txt" -out "$work/enveloped-aes128.ber" "$work/cert.pem"
openssl cms -encrypt -stream -outform DER -binary -des3 \
    -in "$work/content.txt" -out "$work/enveloped-des3.ber" "$work/cert.pem"

# DER CSR with a challenge password and a requested subjectAltName.
cat >"$work/req.cnf" <<'CNF'
[req]
prompt = no
distinguished_name = dn
attributes = attrs
req_extensions = ext
[dn]
CN = cryptoutil fuzz seed
[attrs]
challengePassword = secret
[ext]
subjectAltName = DNS:device.example
CNF
openssl req -new -key "$work/key.pem" -sha256 -config "$work/req.cnf" \
    -outform DER -out "$work/csr.der"

for target in ber_to_der cms_parse; do
    mkdir -p "corpus/$target"
    cp "$work"/cert.der "$work"/*.ber "$work"/csr.der "corpus/$target/"
done
# PEM input for cert::from_pem_or_der and pem::blocks.
cp "$work/cert.pem" corpus/cms_parse/cert.pem

echo "seeded corpus/ber_to_der and corpus/cms_parse in $PWD"
