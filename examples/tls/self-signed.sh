#!/bin/sh
# A self-signed certificate in ./certs for trying `docker compose up` locally:
#   ./examples/tls/self-signed.sh localhost [more names...]
# Browsers warn about it; for a real site put the chain and key your CA issued
# (certbot's fullchain.pem and privkey.pem) in ./certs, or use ACME_DOMAINS.
set -eu
[ "$#" -ge 1 ] || { echo "usage: $0 NAME [NAME...]" >&2; exit 2; }
dir="${CERTS_DIR:-./certs}"
mkdir -p "$dir"
san=""
for name in "$@"; do
  case "$name" in
    *[!0-9.]*) entry="DNS:$name" ;;
    *) entry="IP:$name" ;;
  esac
  san="${san:+$san,}$entry"
done
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 30 \
  -keyout "$dir/privkey.pem" -out "$dir/fullchain.pem" -subj "/CN=$1" \
  -addext "subjectAltName=$san" -addext "extendedKeyUsage=serverAuth" 2>/dev/null
# The image runs as uid 1000 (node): it must be able to read the key.
chmod 644 "$dir/fullchain.pem" "$dir/privkey.pem"
echo "wrote $dir/fullchain.pem and $dir/privkey.pem for: $*"
