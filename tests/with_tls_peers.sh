#!/bin/sh
# usage: with_tls_peers.sh COMMAND...
# Makes a CA, a server certificate for 127.0.0.1 and localhost, a client
# certificate, one for another name and an unrelated CA (openssl); starts
# nginx (TLS 1.2 with HTTP/2; TLS 1.3 with mutual TLS; the other name's
# certificate; HTTP/2 with keepalive_requests 10; TLS without keep-alive and
# plain HTTP, for tools/bench/bench_tls.sh) and nghttpd (h2c) on free
# 127.0.0.1 ports with configurations written here; exports where they are;
# runs COMMAND (bounded by TEST_TIMEOUT seconds, default 120); stops both;
# exits with COMMAND's status. A missing tool fails: tools/deps.sh --test
# installs them.
set -u
d=$(mktemp -d)
nginx_pid='' nghttpd_pid=''
stop() {
    [ -n "$nginx_pid" ] && kill "$nginx_pid" 2>/dev/null
    [ -n "$nghttpd_pid" ] && kill "$nghttpd_pid" 2>/dev/null
    wait 2>/dev/null
    rm -rf "$d"
}
trap stop EXIT
trap 'exit 130' INT TERM
die() { echo "with_tls_peers.sh: $*" >&2; exit 1; }
PATH=$PATH:/usr/sbin
for t in openssl nginx nghttpd curl-config /usr/bin/python3; do
    command -v "$t" >/dev/null || die "$t not found: install it with tools/deps.sh --test"
done

# ---- certificates --------------------------------------------------------
ssl() {
    openssl "$@" >"$d/openssl.log" 2>&1 && return 0
    cat "$d/openssl.log" >&2
    die "openssl $1 failed"
}
ca() { # NAME
    ssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
        -subj "/CN=$1" -keyout "$d/$1.key" -out "$d/$1.pem" \
        -addext basicConstraints=critical,CA:TRUE -addext keyUsage=critical,keyCertSign
}
leaf() { # NAME CA EXTENSIONS
    ssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=$1" \
        -keyout "$d/$1.key" -out "$d/$1.csr"
    printf '%s\n' "$3" >"$d/$1.ext"
    ssl x509 -req -in "$d/$1.csr" -CA "$d/$2.pem" -CAkey "$d/$2.key" -CAcreateserial \
        -days 2 -out "$d/$1.pem" -extfile "$d/$1.ext"
}
ca ca
ca otherca
leaf server ca "subjectAltName=IP:127.0.0.1,DNS:localhost
extendedKeyUsage=serverAuth"
leaf wrongname ca "subjectAltName=DNS:other.test
extendedKeyUsage=serverAuth"
leaf client ca "extendedKeyUsage=clientAuth"
cat "$d/client.pem" "$d/client.key" >"$d/client-and-key.pem"
mkdir "$d/capath"
cp "$d/ca.pem" "$d/capath/$(openssl x509 -noout -hash -in "$d/ca.pem").0"

# ---- servers -------------------------------------------------------------
free_port() {
    /usr/bin/python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])'
}
h2=$(free_port) mtls=$(free_port) goaway=$(free_port) wrong=$(free_port) h2c=$(free_port)
close=$(free_port) plain=$(free_port)
mkdir "$d/www" "$d/nginx"
echo hello >"$d/www/index.html"
cat >"$d/nginx.conf" <<EOF
daemon off;
master_process off;
pid $d/nginx/nginx.pid;
error_log $d/nginx/error.log;
events { worker_connections 1024; }
http {
    access_log off;
    client_body_temp_path $d/nginx/body;
    proxy_temp_path $d/nginx/proxy;
    fastcgi_temp_path $d/nginx/fastcgi;
    uwsgi_temp_path $d/nginx/uwsgi;
    scgi_temp_path $d/nginx/scgi;
    ssl_certificate $d/server.pem;
    ssl_certificate_key $d/server.key;
    http2_max_concurrent_streams 128;
    server {
        listen 127.0.0.1:$h2 ssl http2;
        ssl_protocols TLSv1.2;
        keepalive_requests 1000000; # no GOAWAY within a benchmark's run
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:$mtls ssl;
        ssl_protocols TLSv1.3;
        ssl_verify_client on;
        ssl_client_certificate $d/ca.pem;
        location / { return 200 "client \$ssl_client_s_dn\n"; }
    }
    server {
        listen 127.0.0.1:$wrong ssl;
        ssl_certificate $d/wrongname.pem;
        ssl_certificate_key $d/wrongname.key;
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:$plain;
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:$close ssl;
        keepalive_timeout 0;
        location / { return 200 "ok\n"; }
    }
    server {
        listen 127.0.0.1:$goaway ssl http2;
        keepalive_requests 10;
        location / { return 200 "ok\n"; }
    }
}
EOF
nginx -p "$d/nginx" -c "$d/nginx.conf" -e "$d/nginx/error.log" &
nginx_pid=$!
nghttpd -a 127.0.0.1 --no-tls -d "$d/www" "$h2c" >"$d/nghttpd.log" 2>&1 &
nghttpd_pid=$!

listening() {
    /usr/bin/python3 -c 'import socket, sys
socket.create_connection(("127.0.0.1", int(sys.argv[1])), 1).close()' "$1" 2>/dev/null
}
i=0
until listening "$h2" && listening "$mtls" && listening "$goaway" && listening "$wrong" \
    && listening "$close" && listening "$plain" && listening "$h2c"; do
    i=$((i + 1))
    if [ $i -ge 100 ]; then
        cat "$d/nginx/error.log" "$d/nghttpd.log" >&2
        die "nginx or nghttpd did not start within 10 s"
    fi
    kill -0 "$nginx_pid" 2>/dev/null || { cat "$d/nginx/error.log" >&2; die "nginx died"; }
    kill -0 "$nghttpd_pid" 2>/dev/null || { cat "$d/nghttpd.log" >&2; die "nghttpd died"; }
    sleep 0.1
done

vernum=$(curl-config --vernum) || die "curl-config --vernum failed"
TLS_DIR=$d TLS_H2_PORT=$h2 TLS_MTLS_PORT=$mtls TLS_GOAWAY_PORT=$goaway TLS_WRONGNAME_PORT=$wrong
TLS_CLOSE_PORT=$close PLAIN_PORT=$plain H2C_PORT=$h2c LIBCURL_VERNUM=$vernum
export TLS_DIR TLS_H2_PORT TLS_MTLS_PORT TLS_GOAWAY_PORT TLS_WRONGNAME_PORT TLS_CLOSE_PORT \
    PLAIN_PORT H2C_PORT LIBCURL_VERNUM
timeout "${TEST_TIMEOUT:-120}" "$@"
