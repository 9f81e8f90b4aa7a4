#!/usr/bin/env python3
"""Commands the Go tests run as subprocesses against the test project.

    python3 gotest.py COMMAND < request.json > answer.json

COMMAND is one of:
  migrate  Django's own migrations (auth, waffle, waffle_window).
  write    create or change rows through the ORM, as the admin would (save()).
  eval     waffle.flag_is_active for a list of requests, with the draw pinned;
           answers each decision and the cookies WaffleMiddleware writes.
  read     every flag, switch, sample and window, each full_clean()ed.
  groups   every auth_group and its members.
  sync     waffle-window's sync_flag_membership for every flag, timed.
  query    how Django's QueryDict reads raw query strings.
  orm      changes that bypass a model's save(), as application code makes
           them: many-to-many add and remove, a group rename, QuerySet.update().
The database is chosen by WAFFLE_DJANGO_DB (see testproject/settings.py).
"""
import datetime
import json
import os
import sys
import time
from decimal import Decimal

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "testproject.settings")

import django  # noqa: E402

django.setup()

from django.contrib.auth.models import AnonymousUser, Group, User  # noqa: E402
from django.core.exceptions import ValidationError  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import transaction  # noqa: E402
from django.http import HttpResponse  # noqa: E402
from django.test import RequestFactory  # noqa: E402

import waffle  # noqa: E402
import waffle.models  # noqa: E402
from waffle.middleware import WaffleMiddleware  # noqa: E402
from waffle.models import Flag, Sample, Switch  # noqa: E402
from waffle_window.models import FlagMember, sync_flag_membership  # noqa: E402


def cmd_migrate(_):
    call_command("migrate", verbosity=0)
    return {"ok": True}


def _group(name):
    return Group.objects.get_or_create(name=name)[0]


def _user(uid):
    return User.objects.get(pk=int(uid))


def _date(s):
    return datetime.date.fromisoformat(s)


@transaction.atomic
def cmd_write(req):
    """Users first, then flags, switches, samples, windows. Each object is
    created or changed by name with save(), as the admin does."""
    n = req.get("bulk_users", 0)
    if n:
        # Users 1..n, plain, in batches: the sync benchmark's population.
        User.objects.bulk_create([User(pk=i, username="u%d" % i, password="!") for i in range(1, n + 1)],
                                 batch_size=5000, ignore_conflicts=True)
    for u in req.get("users", []):
        obj, _ = User.objects.get_or_create(pk=int(u["id"]), defaults={"username": "u%s" % u["id"]})
        obj.is_staff = u.get("staff", False)
        obj.is_superuser = u.get("superuser", False)
        obj.save()
        obj.groups.set([_group(g) for g in u.get("groups", [])])
    for g in req.get("groups", []):
        _group(g)
    for f in req.get("flags", []):
        obj = Flag.objects.filter(name=f["name"]).first() or Flag(name=f["name"])
        for field in ("everyone", "testing", "superusers", "staff", "authenticated", "rollout", "note", "languages"):
            if field in f:
                setattr(obj, field, f[field])
        if "percent" in f:
            obj.percent = None if f["percent"] is None else Decimal(f["percent"])
        obj.save()
        if "users" in f:
            obj.users.set([_user(u) for u in f["users"]])
        if "groups" in f:
            obj.groups.set([_group(g) for g in f["groups"]])
    for name in req.get("delete_flags", []):
        Flag.objects.filter(name=name).delete()
    for s in req.get("switches", []):
        obj = Switch.objects.filter(name=s["name"]).first() or Switch(name=s["name"])
        obj.active = s["active"]
        obj.save()
    for s in req.get("samples", []):
        obj = Sample.objects.filter(name=s["name"]).first() or Sample(name=s["name"])
        obj.percent = Decimal(s["percent"])
        obj.save()
    windows = req.get("windows", [])
    if windows:
        flags = {f.name: f for f in Flag.objects.filter(name__in={w["flag"] for w in windows})}
        now = django.utils.timezone.now()
        # bulk_create skips save(): created_at is set here, as save() would.
        FlagMember.objects.bulk_create(
            [FlagMember(user_id=int(w["user"]), flag=flags[w["flag"]], start_date=_date(w["start"]),
                        end_date=_date(w["end"]), created_at=now) for w in windows],
            batch_size=5000)
    return {"ok": True}


def _request(rf, r):
    headers = {}
    for k, v in (r.get("headers") or {}).items():
        headers["HTTP_" + k.upper().replace("-", "_")] = v
    path = "/"
    if r.get("query"):
        path += "?" + r["query"]
    if r.get("raw_cookie") is not None:
        headers["HTTP_COOKIE"] = r["raw_cookie"]  # parsed by Django, as a real request's
    request = rf.get(path, **headers)
    for k, v in (r.get("cookies") or {}).items():
        request.COOKIES[k] = v
    if r.get("language"):
        request.LANGUAGE_CODE = r["language"]
    uid = r.get("user")
    if uid is None:
        request.user = AnonymousUser()
    else:
        request.user = _user(uid)
    return request


class _Draw:
    value = 0.0

    def uniform(self, a, b):
        return _Draw.value

    def __getattr__(self, name):
        import random
        return getattr(random, name)


def cmd_eval(req):
    """Each request: {flag, user (pk or null), language, query, headers,
    cookies, raw_cookie, draw (the number uniform(0, 100) returns)}."""
    waffle.models.random = _Draw()
    rf = RequestFactory()
    mw = WaffleMiddleware(lambda r: HttpResponse())
    out = []
    users = {}
    for r in req["requests"]:
        uid = r.get("user")
        if uid is not None and uid not in users:
            users[uid] = _user(uid)
        _Draw.value = r.get("draw", 0.0)
        request = _request(rf, r)
        active = waffle.flag_is_active(request, r["flag"])
        response = mw.process_response(request, HttpResponse())
        cookies = {}
        for name, m in response.cookies.items():
            cookies[name] = {"value": m.value, "max_age": m["max-age"] if m["max-age"] != "" else None,
                             "secure": bool(m["secure"])}
        out.append({"active": bool(active), "cookies": cookies})
    return {"results": out}


def cmd_query(req):
    """How Django's QueryDict reads raw queries: {queries: [...]} ->
    {params: [{key: [values]}, ...]}."""
    from django.http import QueryDict
    out = []
    for raw in req["queries"]:
        q = QueryDict(raw)
        out.append({k: q.getlist(k) for k in q.keys()})
    return {"params": out}


def _clean(obj):
    try:
        obj.full_clean()
        return ""
    except ValidationError as e:
        return str(e.message_dict)


def cmd_read(_):
    flags = []
    for f in Flag.objects.order_by("name"):
        flags.append({
            "name": f.name, "everyone": f.everyone, "percent": None if f.percent is None else str(f.percent),
            "testing": f.testing, "superusers": f.superusers, "staff": f.staff,
            "authenticated": f.authenticated, "languages": f.languages, "rollout": f.rollout,
            "note": f.note, "created": f.created.isoformat(), "modified": f.modified.isoformat(),
            "users": sorted(str(u.pk) for u in f.users.all()),
            "groups": sorted(g.name for g in f.groups.all()),
            "error": _clean(f),
        })
    switches = [{"name": s.name, "active": s.active, "note": s.note, "created": s.created.isoformat(),
                 "modified": s.modified.isoformat(), "error": _clean(s)} for s in Switch.objects.order_by("name")]
    samples = [{"name": s.name, "percent": str(s.percent), "note": s.note, "created": s.created.isoformat(),
                "modified": s.modified.isoformat(), "error": _clean(s)} for s in Sample.objects.order_by("name")]
    groups = [{"name": g.name, "users": sorted(str(u.pk) for u in g.user_set.all())}
              for g in Group.objects.order_by("name")]
    windows = [{"user": str(m.user_id), "flag": m.flag.name, "start": m.start_date.isoformat(),
                "end": m.end_date.isoformat(), "error": _clean(m)} for m in FlagMember.objects.order_by("id")]
    return {"flags": flags, "switches": switches, "samples": samples, "groups": groups, "windows": windows}


def cmd_groups(_):
    """Every group and its members (read without full_clean, for big data)."""
    members = {}
    for gid, uid in User.groups.through.objects.values_list("group_id", "user_id"):
        members.setdefault(gid, []).append(str(uid))
    return {"groups": [{"name": g.name, "users": sorted(members.get(g.id, []))}
                       for g in Group.objects.order_by("name")]}


@transaction.atomic
def cmd_orm(req):
    """{ops: [{op, ...}]}, in order. op is one of
    flag_users_add / flag_users_remove {flag, users}: flag.users.add/remove
        (waffle_flag_users rows only; the flag's modified stays),
    group_rename {name, to}: group.name = to; group.save(),
    switch_update {name, active}: Switch.objects.filter(...).update(...)
        (no save(): modified stays)."""
    for o in req["ops"]:
        op = o["op"]
        if op in ("flag_users_add", "flag_users_remove"):
            flag = Flag.objects.get(name=o["flag"])
            users = [_user(u) for u in o["users"]]
            if op == "flag_users_add":
                flag.users.add(*users)
            else:
                flag.users.remove(*users)
        elif op == "group_rename":
            g = Group.objects.get(name=o["name"])
            g.name = o["to"]
            g.save()
        elif op == "switch_update":
            Switch.objects.filter(name=o["name"]).update(active=o["active"])
        else:
            raise ValueError("unknown op %r" % op)
    return {"ok": True}


def cmd_sync(_):
    start = time.perf_counter()
    counts = {}
    for f in Flag.objects.all():
        counts[f.name] = sync_flag_membership(f)
    return {"counts": counts, "seconds": time.perf_counter() - start}


COMMANDS = {"migrate": cmd_migrate, "write": cmd_write, "eval": cmd_eval, "read": cmd_read,
            "sync": cmd_sync, "query": cmd_query, "groups": cmd_groups, "orm": cmd_orm}


def main():
    if len(sys.argv) != 2 or sys.argv[1] not in COMMANDS:
        sys.stderr.write("usage: gotest.py %s < request.json\n" % "|".join(sorted(COMMANDS)))
        return 2
    text = sys.stdin.read()
    req = json.loads(text) if text.strip() else {}
    json.dump(COMMANDS[sys.argv[1]](req), sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
