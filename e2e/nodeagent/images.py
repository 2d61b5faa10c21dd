"""Which program a container image stands for. There is no container runtime here, so:

| image                              | runs                                                        |
|------------------------------------|-------------------------------------------------------------|
| ghcr.io/cairn/cairn-node:ANY       | docker/node.Dockerfile: its ENTRYPOINT, with the jar it     |
| ghcr.io/cairn/cairn-sidecar:ANY    | COPYs (this checkout's build) bound at the same path        |
| ghcr.io/cairn/cairn-operator:ANY   | (sidecar.Dockerfile, operator.Dockerfile likewise)          |
| anything else                      | the container's own command and args, with the host's tools |

Every tag of a Cairn image runs the same build: a tag change still rolls the pods (what the
upgrade scenario needs), it just does not change the code. A `COPY --from=STAGE` (the sidecar's
cut-down Java runtime) is left out: every container's root has the host's /usr, so its `java`
stands in for the image's. A `RUN` is not run either: the sidecar image's class-data-sharing
archive (dumped by a RUN) is not there, and its JVM, told to map it, runs without one.
"""
import glob
import json
import os
import re

CAIRN_IMAGES = {
    "ghcr.io/cairn/cairn-node": "node.Dockerfile",
    "ghcr.io/cairn/cairn-sidecar": "sidecar.Dockerfile",
    "ghcr.io/cairn/cairn-operator": "operator.Dockerfile",
}


class ImageError(Exception):
    """The image cannot be run here; the container waits with this reason (like ErrImagePull)."""


class Image:
    def __init__(self, entrypoint, files):
        self.entrypoint = entrypoint  # list of words, or [] for "none"
        self.files = files            # {path in the container: file on the host}


def repository(image):
    name = image.split("@", 1)[0]
    slash = name.rfind("/")
    colon = name.rfind(":")
    return name[:colon] if colon > slash else name


def resolve(image, repo_root):
    dockerfile = CAIRN_IMAGES.get(repository(image))
    if dockerfile is None:
        return Image([], {})
    path = os.path.join(repo_root, "docker", dockerfile)
    entrypoint, files = [], {}
    with open(path) as f:
        text = f.read().replace("\\\n", " ")
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("ENTRYPOINT"):
            entrypoint = json.loads(line[len("ENTRYPOINT"):].strip())
        elif line.startswith("COPY --from="):
            continue
        elif line.startswith("COPY"):
            src, dest = line.split()[1:3]
            found = sorted(glob.glob(os.path.join(repo_root, src)))
            if not found:
                raise ImageError(f"{image}: {src} is not built (mvn -DskipTests package)")
            files[dest] = found[-1]
    return Image(entrypoint, files)


def argv(container, image):
    """The command a container runs, with Kubernetes' rules: command replaces the image's
    ENTRYPOINT, args its CMD (the Cairn images have no CMD)."""
    command = container.get("command") or image.entrypoint
    if not command:
        raise ImageError(f"image {container['image']} has no program here: give the container a command")
    return list(command) + list(container.get("args") or [])


_REF = re.compile(r"\$\(([A-Za-z_][A-Za-z0-9_]*)\)|\$\$")


def expand(text, env):
    """$(VAR) in command, args and env values, as the kubelet expands them ($$ escapes)."""
    def sub(m):
        if m.group(0) == "$$":
            return "$"
        return env.get(m.group(1), m.group(0))
    return _REF.sub(sub, text)
