import json
import os
import sys
import time

import requests

E = os.environ
KS = E["KS_URL"].rstrip("/")
REGIONS = {"region-a": E["GLANCE_URL_A"], "region-b": E["GLANCE_URL_B"]}
INTERFACES = ("public", "internal", "admin")
SECRET = E["APP_CRED_SECRET"]
S = requests.Session()


def die(msg, r=None):
    if r is not None:
        msg += f": HTTP {r.status_code} {r.text[:500]}"
    sys.exit("setup_resources: " + msg)


def password_token(user, pw, project):
    r = S.post(f"{KS}/auth/tokens", params={"nocatalog": 1}, json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": user, "domain": {"name": "Default"}, "password": pw}}},
        "scope": {"project": {"name": project,
                              "domain": {"name": "Default"}}}}})
    if r.status_code != 201:
        die(f"auth as {user} failed", r)
    return r.headers["X-Subject-Token"]


H = {"X-Auth-Token": password_token("admin", E["ADMIN_PASSWORD"], "admin")}


def call(method, path, body=None, ok=(200, 201, 204), headers=None, **params):
    r = S.request(method, f"{KS}{path}", headers=headers or H, json=body,
                  params=params or None)
    if r.status_code not in ok:
        die(f"{method} {path}", r)
    return r.json() if r.content else None


for rid in REGIONS:
    r = S.get(f"{KS}/regions/{rid}", headers=H)
    if r.status_code == 404:
        call("POST", "/regions",
             {"region": {"id": rid, "description": f"test {rid}"}})
    elif r.status_code != 200:
        die(f"GET region {rid}", r)


def ensure_service(stype, name, desc):
    for s in call("GET", "/services", type=stype)["services"]:
        if s["name"] == name:
            return s["id"]
    return call("POST", "/services", {"service": {
        "type": stype, "name": name, "description": desc,
        "enabled": True}})["service"]["id"]


def ensure_endpoint(sid, region, iface, url):
    eps = [e for e in call("GET", "/endpoints", service_id=sid,
                           interface=iface, region_id=region)["endpoints"]
           if e["region_id"] == region]
    if not eps:
        call("POST", "/endpoints", {"endpoint": {
            "service_id": sid, "region_id": region, "interface": iface,
            "url": url, "enabled": True}})
    elif eps[0]["url"] != url or not eps[0]["enabled"]:
        call("PATCH", f"/endpoints/{eps[0]['id']}",
             {"endpoint": {"url": url, "enabled": True}})


image_sid = ensure_service("image", "glance", "OpenStack Image service")
ident_sid = ensure_service("identity", "keystone", "Keystone")
for region, url in REGIONS.items():
    for iface in INTERFACES:
        ensure_endpoint(image_sid, region, iface, url)
        # identity in every region too, so region-filtered clients
        # (openstack --os-region-name region-a ...) find it
        ensure_endpoint(ident_sid, region, iface, KS)


def ensure_project(name, desc):
    ps = call("GET", "/projects", name=name, domain_id="default")["projects"]
    if ps:
        return ps[0]["id"]
    return call("POST", "/projects", {"project": {
        "name": name, "domain_id": "default", "description": desc,
        "enabled": True}})["project"]["id"]


PW_CHANGED = False


def password_ok(name, pw):
    r = S.post(f"{KS}/auth/tokens", json={"auth": {
        "identity": {"methods": ["password"], "password": {"user": {
            "name": name, "domain": {"name": "Default"}, "password": pw}}},
        "scope": "unscoped"}})
    return r.status_code == 201


def ensure_user(name, pw, project_id):
    global PW_CHANGED
    us = call("GET", "/users", name=name, domain_id="default")["users"]
    if us:
        u = us[0]
        upd = {}
        if u.get("default_project_id") != project_id:
            upd["default_project_id"] = project_id
        if not u.get("enabled", True):
            upd["enabled"] = True
        # Only reset the password when it differs: a password change revokes
        # ALL of the user's tokens (e.g. glance's keystonemiddleware token).
        if not password_ok(name, pw):
            upd["password"] = pw
            PW_CHANGED = True
        if upd:
            call("PATCH", f"/users/{u['id']}", {"user": upd})
        return u["id"]
    return call("POST", "/users", {"user": {
        "name": name, "domain_id": "default", "password": pw,
        "default_project_id": project_id, "enabled": True}})["user"]["id"]


def role_id(name):
    rs = call("GET", "/roles", name=name)["roles"]
    if not rs:
        die(f"role {name} missing")
    return rs[0]["id"]


demo = ensure_project("demo", "replicator test project")
service = ensure_project("service", "service users")
repl = ensure_user("replicator", E["REPLICATOR_PASSWORD"], demo)
repl_admin = ensure_user("replicator-admin", E["REPLICATOR_ADMIN_PASSWORD"],
                         demo)
glance = ensure_user("glance", E["GLANCE_PASSWORD"], service)
for pid, uid, role in ((demo, repl, "member"), (demo, repl_admin, "admin"),
                       (service, glance, "admin"),
                       (service, glance, "service")):
    call("PUT", f"/projects/{pid}/users/{uid}/roles/{role_id(role)}")


def appcred_works(ac_id):
    r = S.post(f"{KS}/auth/tokens", params={"nocatalog": 1}, json={"auth": {
        "identity": {"methods": ["application_credential"],
                     "application_credential": {"id": ac_id,
                                                "secret": SECRET}}}})
    return r.status_code == 201


if PW_CHANGED:
    # revocation events match tokens issued in the same second (fernet
    # issued_at has 1 s resolution) -> wait before issuing new tokens
    time.sleep(1.5)
RH = {"X-Auth-Token": password_token("replicator", E["REPLICATOR_PASSWORD"],
                                     "demo")}
acs = call("GET", f"/users/{repl}/application_credentials", headers=RH,
           name=E["APP_CRED_NAME"])["application_credentials"]
if acs and appcred_works(acs[0]["id"]):
    ac_id = acs[0]["id"]
else:
    for ac in acs:   # secret changed -> recreate
        call("DELETE", f"/users/{repl}/application_credentials/{ac['id']}",
             headers=RH)
    ac_id = call("POST", f"/users/{repl}/application_credentials", {
        "application_credential": {
            "name": E["APP_CRED_NAME"], "secret": SECRET,
            "description": "Glance replicator test credential"}},
        headers=RH)["application_credential"]["id"]
    if not appcred_works(ac_id):
        die("new application credential does not authenticate")

print(json.dumps({
    "auth_url": KS,
    "regions": REGIONS,
    "image_service_id": image_sid,
    "projects": {"demo": demo, "service": service},
    "users": {"replicator": repl, "replicator-admin": repl_admin,
              "glance": glance},
    "application_credential": {"id": ac_id, "name": E["APP_CRED_NAME"],
                               "secret": SECRET, "user_id": repl},
}, indent=2))
