#!/bin/sh
# Makes throwaway certificates for the TLS tests: certs.sh OPENSSL DIRECTORY
#   ca.crt               the test CA (its key ca.key)
#   other-ca.crt         a CA nobody should trust
#   localhost.crt/.key   a server certificate for DNS:localhost, IP:127.0.0.1 and IP:::1
#   other-name.crt/.key  a server certificate for other-name.example only
#   client.crt/.key      a client certificate, CN "uvwamp test client"
# All keys are P-256, all certificates valid for two days from now.
set -eu
openssl=$1
cd "$2"

new_ca() {
  "$openssl" req -x509 -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.crt" -subj "/CN=$2" -days 2 \
    -addext "basicConstraints=critical,CA:TRUE" \
    -addext "keyUsage=critical,keyCertSign,cRLSign" 2>/dev/null
}

# new_leaf NAME SUBJECT EXTENSIONS: a key and a certificate signed by ca.
new_leaf() {
  "$openssl" req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
    -keyout "$1.key" -out "$1.csr" -subj "/CN=$2" 2>/dev/null
  printf '%s\n' "$3" > "$1.ext"
  "$openssl" x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -set_serial "$4" -days 2 \
    -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  rm "$1.csr" "$1.ext"
}

new_ca ca "uvwamp test CA"
new_ca other-ca "uvwamp untrusted CA"
new_leaf localhost localhost \
  "subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1
extendedKeyUsage=serverAuth" 1001
new_leaf other-name other-name.example \
  "subjectAltName=DNS:other-name.example
extendedKeyUsage=serverAuth" 1002
new_leaf client "uvwamp test client" "extendedKeyUsage=clientAuth" 1003
