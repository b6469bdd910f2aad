# Shared by the benchmark scripts (sourced): a free port, nginx serving a
# small JSON file, and the check that a URL answers exactly that file, so
# that no figure is of an error page. The caller sets $tmp (a folder), $pids
# (processes to stop) and $me (its name, for messages).
die() { echo "$me: $*" >&2; exit 1; }
free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# start_nginx: serves $tmp/www/customers.json on a free port; sets url.
# mktemp -d is mode 0700 and nginx's worker does not run as root: the folder
# and the file must be readable by others, or every answer is a 403.
start_nginx() {
    port=$(free_port)
    mkdir -p "$tmp/www"
    printf '[{"id":"1","name":"Andy Ziemmer","salesId":"1"},{"id":"2","name":"Michael Jordan","salesId":"1"}]' >"$tmp/www/customers.json"
    chmod 755 "$tmp" "$tmp/www"
    chmod 644 "$tmp/www/customers.json"
    cat >"$tmp/nginx.conf" <<EOC
worker_processes 1;
daemon off;
pid $tmp/nginx.pid;
error_log $tmp/error.log;
events { worker_connections 4096; }
http {
  access_log off;
  keepalive_requests 1000000;
  server { listen 127.0.0.1:$port; root $tmp/www; default_type application/json; }
}
EOC
    nginx -c "$tmp/nginx.conf" &
    pids="$pids $!"
    url="http://127.0.0.1:$port/customers.json"
}

# check_target URL FILE: URL answers 200 with exactly FILE's bytes (10 s to start).
check_target() {
    i=0
    while :; do
        code=$(curl -s -o "$tmp/got" -w '%{http_code}' "$1" || true)
        [ "$code" = 000 ] && [ $i -lt 100 ] || break
        sleep 0.1
        i=$((i + 1))
    done
    [ "$code" = 200 ] || die "$1 answers HTTP $code, not 200: nothing measured"
    cmp -s "$tmp/got" "$2" || die "$1 answers 200 but not the bytes of $2: nothing measured"
}

