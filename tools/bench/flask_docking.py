"""An original-style Docking API in Flask, for the benchmark's comparison
(tools/bench/bench_server.sh runs it under uWSGI, 4 processes x 2 threads, as
the seed did). Same routes, data and bodies as `dockscript serve`; the
delay is a blocking sleep that holds a worker, which is the point.
DOCKING_DELAY (seconds, default 0.5) sets the delay."""
import json
import os
import time

from flask import Flask, Response, request

app = Flask(__name__)
DELAY = float(os.environ.get("DOCKING_DELAY", "0.5"))

USERS = [{"id": "1", "name": "John Liu", "role": "sales"},
         {"id": "2", "name": "William Ott", "role": "sales"},
         {"id": "3", "name": "Jordan Lin", "role": "manager"}]
CUSTOMERS = [{"id": "1", "name": "Andy Ziemmer", "salesId": "1"},
             {"id": "2", "name": "Michael Jordan", "salesId": "1"},
             {"id": "3", "name": "Kobe Bryant", "salesId": "2"},
             {"id": "4", "name": "Nick Kamar", "salesId": "2"},
             {"id": "5", "name": "Jack Bledie", "salesId": "2"}]


def reply(data, status=200):
    body = json.dumps(data, sort_keys=True, separators=(",", ":"))
    return Response(body, status=status, mimetype="application/json")


def contains(value, wanted):
    return not wanted or wanted.lower() in value.lower()


@app.route("/")
def root():
    return Response("Docking API", mimetype="text/plain")


@app.route("/users")
def users():
    time.sleep(DELAY)
    name, role = request.args.get("name"), request.args.get("role")
    return reply([u for u in USERS if contains(u["name"], name) and contains(u["role"], role)])


@app.route("/users/<uid>")
def user(uid):
    time.sleep(DELAY)
    for u in USERS:
        if u["id"] == uid:
            return reply(u)
    return reply({"type": "ResourceNotFound", "message": "User ID %s not found" % uid}, 404)


@app.route("/customers")
def customers():
    time.sleep(DELAY)
    name, sales = request.args.get("name"), request.args.get("salesId")
    return reply([c for c in CUSTOMERS
                  if contains(c["name"], name) and (not sales or c["salesId"] == sales)])


@app.route("/customers/<cid>")
def customer(cid):
    time.sleep(DELAY)
    for c in CUSTOMERS:
        if c["id"] == cid:
            return reply(c)
    return reply({"type": "ResourceNotFound", "message": "Customer ID %s not found" % cid}, 404)
