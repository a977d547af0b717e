#!/usr/bin/env python3
"""Writes the seed corpora in tests/fuzz/corpus/<target>/ from the project's fixtures.

Run from the repository root: python3 tests/fuzz/make_seeds.py [BUNDLE_CONFIG_JSON]
Sources: taskdef/examples, tests/taskdef/fixtures, docs/protocol.md (register
and frame examples), shapes from the tests in tests/image, tests/agent, tests/controlplane,
and (optionally) a config.json from tests/fixtures/make-bundle.sh. Regression inputs
(files named crash-* or regress-*) are left alone.
"""
import copy, gzip, hashlib, io, json, os, re, sys, tarfile

ROOT = os.getcwd()
OUT = os.path.join(ROOT, "tests/fuzz/corpus")


def put(target, name, data):
    d = os.path.join(OUT, target)
    os.makedirs(d, exist_ok=True)
    if isinstance(data, (dict, list)):
        data = json.dumps(data, separators=(",", ":"))
    if isinstance(data, str):
        data = data.encode()
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


def read(p):
    with open(os.path.join(ROOT, p)) as f:
        return f.read()


def sha(b):
    return "sha256:" + hashlib.sha256(b).hexdigest()


# --- task definitions -------------------------------------------------------------------
demo = json.loads(read("taskdef/examples/demo-web.json"))
put("taskdef", "demo-web.json", read("taskdef/examples/demo-web.json"))
for f in sorted(os.listdir(os.path.join(ROOT, "tests/taskdef/fixtures"))):
    put("taskdef", f, read("tests/taskdef/fixtures/" + f))
minimal = {"family": "t", "networkMode": "host",
           "containerDefinitions": [{"name": "app", "image": "busybox", "memory": 64}]}
put("taskdef", "minimal.json", minimal)
rich = copy.deepcopy(minimal)
rich.update({"cpu": "0.5 vCPU", "memory": "1 GB", "pidMode": "task", "ipcMode": "host",
             "volumes": [{"name": "data", "host": {"sourcePath": "/srv/data"}},
                         {"name": "scratch", "dockerVolumeConfiguration": {"scope": "task"}}],
             "tags": [{"key": "team", "value": "edge"}]})
rich["containerDefinitions"] = [
    {"name": "app", "image": "busybox", "memory": 64, "memoryReservation": 32, "cpu": 128,
     "entryPoint": ["/bin/sh", "-c"], "command": ["sleep 1000"], "workingDirectory": "/tmp",
     "user": "1000:1000", "readonlyRootFilesystem": True, "hostname": "h",
     "environment": [{"name": "A", "value": "1"}],
     "environmentFiles": [{"value": "/etc/skiff/app.env", "type": "s3"}],
     "mountPoints": [{"sourceVolume": "data", "containerPath": "/data", "readOnly": True},
                     {"sourceVolume": "scratch", "containerPath": "/scratch"}],
     "portMappings": [{"containerPort": 80, "hostPort": 8080, "protocol": "tcp"}],
     "linuxParameters": {"initProcessEnabled": True,
                         "capabilities": {"add": ["NET_ADMIN"], "drop": ["ALL"]}},
     "ulimits": [{"name": "nofile", "softLimit": 1024, "hardLimit": 4096}],
     "healthCheck": {"command": ["CMD", "true"], "interval": 10, "retries": 3},
     "stopTimeout": 5, "startTimeout": 30, "essential": True},
    {"name": "side", "image": "busybox", "memory": 16, "essential": False,
     "volumesFrom": [{"sourceContainer": "app", "readOnly": True}],
     "dependsOn": [{"containerName": "app", "condition": "HEALTHY"}],
     "logConfiguration": {"logDriver": "json-file", "options": {"max-size": "1m"}}}]
put("taskdef", "rich.json", rich)
put("taskdef", "describe-wrapper.json", {"taskDefinition": minimal, "tags": [{"key": "a", "value": "b"}]})
cyc = copy.deepcopy(minimal)
cyc["containerDefinitions"] = [
    {"name": "a", "image": "x", "memory": 8, "dependsOn": [{"containerName": "b", "condition": "START"}]},
    {"name": "b", "image": "x", "memory": 8, "dependsOn": [{"containerName": "a", "condition": "COMPLETE"}]}]
put("taskdef", "cycle.json", cyc)
put("taskdef", "bad-syntax.json", '{"family": "t", "containerDefinitions": [')

# --- env files --------------------------------------------------------------------------
put("env_file", "ecs.env", "# settings\nA=1\n\n  B=two words\r\nC=\nD=x=y # not a comment\n   # indented comment\nE=\"quoted\"")
put("env_file", "errors.env", "A=1\nJUSTNAME\n")
put("env_file", "bad-name.env", "A B=x\n")
put("env_file", "nul.env", b"A=x\0y\n")
put("env_file", "long.env", "".join(f"VAR_{i}=value {i}\n" for i in range(40)))

# --- OCI config.json --------------------------------------------------------------------
if len(sys.argv) > 1:
    put("oci_config", "make-bundle.json", open(sys.argv[1]).read())
put("oci_config", "minimal.json", {"ociVersion": "1.1.0", "root": {"path": "rootfs"},
    "process": {"args": ["/bin/sh"], "cwd": "/", "user": {"uid": 0, "gid": 0}},
    "linux": {"namespaces": [{"type": "pid"}, {"type": "mount"}]}})
put("oci_config", "seccomp.json", {"ociVersion": "1.0.2", "root": {"path": "rootfs", "readonly": True},
    "hostname": "c", "process": {"args": ["true"], "cwd": "/", "user": {"uid": 1, "gid": 1,
    "additionalGids": [5]}, "env": ["PATH=/bin"], "rlimits": [{"type": "RLIMIT_NOFILE", "soft": 1024, "hard": 1024}],
    "capabilities": {"bounding": ["CAP_KILL"], "effective": ["CAP_KILL"]}, "noNewPrivileges": True,
    "oomScoreAdj": 100},
    "mounts": [{"destination": "/proc", "type": "proc", "source": "proc"},
               {"destination": "/data", "type": "bind", "source": "/srv", "options": ["rbind", "ro", "nosuid"]}],
    "hooks": {"prestart": [{"path": "/bin/true", "args": ["true"], "timeout": 5}]},
    "annotations": {"a": "b"},
    "linux": {"namespaces": [{"type": "network", "path": "/proc/1/ns/net"}, {"type": "user"}],
              "uidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
              "gidMappings": [{"containerID": 0, "hostID": 1000, "size": 1}],
              "cgroupsPath": "/skiff/x", "maskedPaths": ["/proc/kcore"], "readonlyPaths": ["/proc/sys"],
              "resources": {"memory": {"limit": 67108864, "swap": 134217728}, "cpu": {"shares": 512, "quota": 50000, "period": 100000},
                            "pids": {"limit": 64}, "devices": [{"allow": False, "access": "rwm"}]},
              "sysctl": {"net.ipv4.ip_forward": "1"},
              "seccomp": {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "architectures": ["SCMP_ARCH_X86_64"],
                          "syscalls": [{"names": ["read", "write"], "action": "SCMP_ACT_ALLOW"},
                                       {"names": ["personality"], "action": "SCMP_ACT_ALLOW",
                                        "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]}]}}})

# --- image manifests, indexes, configs ----------------------------------------------------
cfg = b'{"architecture":"amd64","os":"linux","rootfs":{"type":"layers"}}'
L1, L2 = b"layer one bytes", b"\x7f" * 3000 + b"second layer"
def desc(mt, data, **kw):
    d = {"mediaType": mt, "digest": sha(data), "size": len(data)}
    d.update(kw)
    return d
OCI_M, OCI_I = "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json"
DK_M, DK_L = "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json"
oci_manifest = {"schemaVersion": 2, "mediaType": OCI_M,
                "config": desc("application/vnd.oci.image.config.v1+json", cfg),
                "layers": [desc("application/vnd.oci.image.layer.v1.tar+gzip", L1),
                           desc("application/vnd.oci.image.layer.v1.tar", L2, annotations={"a": "b"})]}
put("image_manifest", "oci.json", oci_manifest)
dk = copy.deepcopy(oci_manifest)
dk["mediaType"] = DK_M
dk["config"]["mediaType"] = "application/vnd.docker.container.image.v1+json"
for l in dk["layers"]:
    l["mediaType"] = "application/vnd.docker.image.rootfs.diff.tar.gzip"
put("image_manifest", "docker-v2.json", dk)
put("image_manifest", "bad-layer-digest.json", '{"schemaVersion":2,"config":{"mediaType":"a","digest":"%s","size":1},"layers":[{"mediaType":"b","digest":"sha256:00","size":1}]}' % sha(b""))
put("image_manifest", "schema1.json", '{"schemaVersion":1,"name":"x","tag":"latest","fsLayers":[]}')
put("image_manifest", "no-config.json", '{"schemaVersion":2,"layers":[]}')
m = json.dumps(oci_manifest).encode()
index = {"schemaVersion": 2, "mediaType": OCI_I, "manifests": [
    desc(OCI_M, m, platform={"architecture": "amd64", "os": "linux"}, annotations={"org.opencontainers.image.ref.name": "v1"}),
    desc(OCI_M, m + b" ", platform={"architecture": "arm64", "os": "linux", "variant": "v8"})]}
put("image_index", "oci-index.json", index)
lst = copy.deepcopy(index); lst["mediaType"] = DK_L
for e in lst["manifests"]: e["mediaType"] = DK_M
put("image_index", "docker-list.json", lst)
put("image_index", "negative-size.json", '{"schemaVersion":2,"manifests":[{"mediaType":"x","digest":"%s","size":-1}]}' % sha(b""))
put("image_index", "traversal.json", {"schemaVersion": 2, "manifests": [{"mediaType": OCI_M, "digest": "sha256:../../../etc/passwd", "size": 3}]})
put("image_index", "layout-index.json", {"schemaVersion": 2, "manifests": [desc(OCI_M, m, annotations={"org.opencontainers.image.ref.name": "latest"})]})
put("image_config", "busybox.json", {"architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
    "config": {"Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"], "Cmd": ["sh"],
               "WorkingDir": "/", "User": "", "StopSignal": "SIGTERM", "ExposedPorts": {"80/tcp": {}},
               "Labels": {"a": "b"}, "Volumes": {"/data": {}}},
    "rootfs": {"type": "layers", "diff_ids": [sha(L1), sha(L2)]},
    "history": [{"created_by": "ADD file"}]})
put("image_config", "entrypoint-user.json", {"architecture": "arm64", "os": "linux",
    "config": {"Entrypoint": ["/init"], "Cmd": None, "User": "1000:1000", "Env": ["A=1", "A=2"], "WorkingDir": "/app"},
    "rootfs": {"type": "layers", "diff_ids": [sha(L1)]}})
put("image_config", "named-user.json", {"config": {"User": "nobody:nogroup", "Cmd": ["x"]}, "rootfs": {"type": "layers", "diff_ids": []}})
put("image_config", "bad-diffids.json", {"rootfs": {"type": "layers", "diff_ids": ["sha256:zz", 3]}})

# --- docker-archive manifest.json -------------------------------------------------------
put("docker_archive", "one-image.json", [{"Config": "config.json", "RepoTags": ["fuzz:1", "localhost/fuzz:latest"], "Layers": ["layer.tar"]}])
put("docker_archive", "two-images.json", [{"Config": "config.json", "RepoTags": ["a:1"], "Layers": ["layer.tar"]},
                                          {"Config": "config.json", "RepoTags": None, "Layers": ["layer.tar"]}])
put("docker_archive", "escape.json", [{"Config": "../config.json", "RepoTags": [], "Layers": ["/layer.tar"]}])
put("docker_archive", "missing.json", [{"Config": "nope.json", "Layers": ["layer.tar", "layer.tar"]}])
put("docker_archive", "not-array.json", {"Config": "config.json"})

# --- layers ----------------------------------------------------------------------------
def tar_bytes(entries, compress=False):
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as t:
        for e in entries:
            ti = tarfile.TarInfo(e["name"])
            ti.mode = e.get("mode", 0o644)
            ti.uid, ti.gid = e.get("uid", 0), e.get("gid", 0)
            ti.mtime = 1700000000
            kind = e.get("type", "file")
            data = e.get("data", b"")
            if kind == "dir": ti.type = tarfile.DIRTYPE; ti.mode = e.get("mode", 0o755)
            elif kind == "sym": ti.type = tarfile.SYMTYPE; ti.linkname = e["target"]
            elif kind == "hard": ti.type = tarfile.LNKTYPE; ti.linkname = e["target"]
            elif kind == "fifo": ti.type = tarfile.FIFOTYPE
            elif kind == "chr": ti.type = tarfile.CHRTYPE; ti.devmajor, ti.devminor = 1, 3
            if "pax" in e: ti.pax_headers = e["pax"]
            ti.size = len(data) if kind == "file" else 0
            t.addfile(ti, io.BytesIO(data) if kind == "file" else None)
    raw = buf.getvalue().rstrip(b"\0")
    raw += b"\0" * (1024 + (-len(raw)) % 512)  # two end blocks, no 10 KiB record padding
    return gzip.compress(raw, mtime=0) if compress else raw

put("layer_unpack", "basic.tar", tar_bytes([{"name": "etc", "type": "dir"}, {"name": "etc/hello", "data": b"hi\n"},
    {"name": "bin", "type": "dir"}, {"name": "bin/sh", "data": b"#!x", "mode": 0o755},
    {"name": "bin/ash", "type": "hard", "target": "bin/sh"}, {"name": "usr", "type": "dir"},
    {"name": "usr/bin", "type": "sym", "target": "../bin"}]))
put("layer_unpack", "basic.tar.gz", tar_bytes([{"name": "a", "type": "dir", "uid": 1000, "gid": 1000},
    {"name": "a/b", "data": b"x" * 100, "mode": 0o4755}, {"name": "a/fifo", "type": "fifo"}], True))
put("layer_unpack", "whiteouts.tar", tar_bytes([{"name": "etc", "type": "dir"}, {"name": "etc/.wh.passwd"},
    {"name": "var", "type": "dir"}, {"name": "var/.wh..wh..opq"}, {"name": "var/new", "data": b"n"}]))
put("layer_unpack", "escape-dotdot.tar", tar_bytes([{"name": "../escape", "data": b"x"}, {"name": "/abs", "data": b"y"}]))
put("layer_unpack", "escape-symlink.tar", tar_bytes([{"name": "link", "type": "sym", "target": "/tmp"},
    {"name": "link/pwned", "data": b"x"}, {"name": "up", "type": "sym", "target": "../../.."}, {"name": "up/x", "data": b"y"}]))
put("layer_unpack", "escape-hardlink.tar", tar_bytes([{"name": "h", "type": "hard", "target": "/etc/passwd"},
    {"name": "h2", "type": "hard", "target": "../x"}]))
put("layer_unpack", "device.tar", tar_bytes([{"name": "dev", "type": "dir"}, {"name": "dev/null", "type": "chr"}]))
put("layer_unpack", "xattrs.tar.gz", tar_bytes([{"name": "f", "data": b"z", "pax": {"SCHILY.xattr.user.k": "v",
    "SCHILY.xattr.trusted.overlay.opaque": "y"}}], True))
put("layer_unpack", "replace.tar", tar_bytes([{"name": "d", "type": "dir"}, {"name": "d", "data": b"now a file"},
    {"name": "d", "type": "sym", "target": "x"}, {"name": "d/", "type": "dir"}]))

# --- WWW-Authenticate -------------------------------------------------------------------
for i, h in enumerate(['Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/busybox:pull"',
                       'Basic realm="basic-realm", Bearer realm=x:1/t, scope=a:b', 'Bearer realm="a\\"b"', ',,,',
                       'Bearer ===', 'Bearer realm="unterminated', 'Basic realm="hostile"',
                       'Bearer realm="http://127.0.0.1:5001/token",service="127.0.0.1:5000",error="insufficient_scope"',
                       'Negotiate, Basic realm=x, Bearer realm="r" , scope="repository:a/b:pull,push"']):
    put("www_authenticate", f"challenge-{i}", h)

# --- docker config.json / auth.json -------------------------------------------------------
put("docker_credentials", "auths.json", '{"auths": {"127.0.0.1:5000": {"auth": "dXNlcjpwYXNz"}, "https://index.docker.io/v1/": {"username": "hub", "password": "p:w"}, "http://reg.example:8080/v2/": {"auth": "YTpi"}}}')
for i, bad in enumerate(['not json', '{"auths": []}', '{"auths": {"registry.example": {"auth": "%%%"}}}',
                         '{"auths": {"registry.example": {"auth": "bm9jb2xvbg=="}}}', '{"auths": {"registry.example": {"username": 3}}}']):
    put("docker_credentials", f"bad-{i}.json", bad)
put("docker_credentials", "docker-hub-aliases.json", '{"auths": {"docker.io": {"auth": "YTpi"}, "registry-1.docker.io": {"auth": "Yzpk"}}, "credsStore": "desktop", "credHelpers": {"x": "y"}}')

# --- protocol frames ------------------------------------------------------------------------
doc = read("docs/protocol.md")
frames = re.findall(r"```json (frame=\w+|register-request|register-response)\n(.*?)```", doc, re.S)
for tag, body in frames:
    if tag.startswith("frame="):
        put("protocol_frame", tag[6:] + ".json", body)
put("protocol_frame", "unknown-type.json", '{"type":"Bogus","seq":1,"body":{}}')
put("protocol_frame", "bad-utf8.json", b'{"type":"Hello","seq":1,"body":{"instanceId":"\xff\xfe"}}')

# --- agent local API ----------------------------------------------------------------------
api = ["GET /v1/metadata", "GET /v1/tasks", "GET /v1/tasks/t-fuzz", "GET /v1/tasks/nope",
       "DELETE /v1/tasks/t-fuzz?reason=bye", "POST /v1/tasks/t-fuzz/stop\n{\"reason\":\"done\"}",
       "GET /v1/tasks/t-fuzz/stats", "GET /v1/tasks/t-fuzz/containers/web/logs?tail=10&follow=true&since=2026-01-01T00:00:00Z",
       "GET /v1/tasks/t-fuzz/containers/web/exec-target", "GET /v1/events?since=0&follow=1",
       "POST /v1/drain\n{\"reason\":\"maintenance\"}", "PUT /v1/metadata", "GET /v1/tasks/%2e%2e/stats",
       "POST /v1/tasks?source=web.json\n" + json.dumps(minimal), "POST /v1/tasks\n" + json.dumps(demo),
       "POST /v1/tasks\n[1,2]", "POST /v1/tasks\n{bad"]
for i, a in enumerate(api):
    put("agent_api", f"req-{i:02d}", a)

# --- control plane API ---------------------------------------------------------------------
reg = json.loads(frames[0][1]) if frames and frames[0][0] == "register-request" else {}
reg.update({"activationId": "@ACT_ID@", "activationCode": "@ACT_CODE@"})
hello = {"type": "Hello", "seq": 1, "body": {"instanceId": "@INSTANCE@", "agentVersion": "0.1.0", "tasks": []}}
def items(*xs): return "\n%%\n".join(xs)
cp = {
 "register-hello": items("POST /v1/register\n" + json.dumps(reg), "FRAME\n" + json.dumps(hello),
                         "GET /v1/instances/@INSTANCE@", "GET /v1/clusters/fuzz/instances"),
 "taskdef-run": items("POST /v1/taskdefs\n" + json.dumps(minimal), "GET /v1/taskdefs", "GET /v1/taskdefs/t/1",
                      "POST /v1/register\n" + json.dumps(reg), "FRAME\n" + json.dumps(hello),
                      "POST /v1/clusters/fuzz/tasks\n" + json.dumps({"taskDefinition": "t:1", "count": 2,
                          "placementConstraints": [{"type": "memberOf", "expression": "attribute:arch == arm64"}],
                          "placementStrategy": [{"type": "binpack"}], "startedBy": "me"}),
                      "GET /v1/clusters/fuzz/tasks", "DELETE /v1/taskdefs/t/1"),
 "service": items("POST /v1/taskdefs\n" + json.dumps(demo), "POST /v1/register\n" + json.dumps(reg),
                  "POST /v1/clusters/fuzz/services\n" + json.dumps({"serviceName": "web", "taskDefinition": "demo-web", "desiredCount": 1,
                      "deploymentConfiguration": {"minimumHealthyPercent": 50, "maximumPercent": 200,
                          "deploymentCircuitBreaker": {"enable": True, "rollback": True, "threshold": 3}}}),
                  "POST /v1/clusters/fuzz/services/web\n{\"desiredCount\":0}", "GET /v1/clusters/fuzz/services/web",
                  "DELETE /v1/clusters/fuzz/services/web"),
 "clusters": items("POST /v1/clusters\n{\"name\":\"b\"}", "GET /v1/clusters", "GET /v1/clusters/b",
                   "POST /v1/clusters/b/activations\n{\"expiresInSeconds\":60,\"registrationLimit\":2,\"description\":\"d\"}",
                   "GET /v1/clusters/b/activations", "DELETE /v1/clusters/b", "GET /v1/health", "GET /nope"),
 "statechange": items("POST /v1/register\n" + json.dumps(reg), "FRAME\n" + json.dumps(hello),
                      "FRAME\n" + read("docs/protocol.md").split("```json frame=StateChange\n")[1].split("```")[0].replace('"seq": 3', '"seq": 2'),
                      "FRAME\n" + read("docs/protocol.md").split("```json frame=Metrics\n")[1].split("```")[0],
                      "POST /v1/instances/@INSTANCE@/drain", "POST /v1/instances/@INSTANCE@/revoke"),
 "stop-task": items("POST /v1/tasks/t-1/stop\n{\"reason\":\"x\"}", "GET /v1/tasks/t-1", "POST /v1/register\n{}"),
}
for k, v in cp.items():
    put("cp_api", k, v)
print("seeds written under", OUT)
