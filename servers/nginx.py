"""nginx with the sample configuration (``docs/deploy/nginx.conf``), rewritten for 127.0.0.1 ports and a temp folder."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from servers.processes import free_port, stop_process, wait_healthy
from settings import REPO_ROOT

NGINX_SAMPLE = REPO_ROOT / "docs" / "deploy" / "nginx.conf"
START_S = 30


def render_nginx_config(upstreams: list[str], port: int, folder: Path) -> str:
    """``docs/deploy/nginx.conf`` with its upstream servers, listening port and paths replaced."""
    text = NGINX_SAMPLE.read_text(encoding="utf-8")
    servers = "".join(f"        server {address} max_fails=3 fail_timeout=10s;\n" for address in upstreams)
    text, replaced = re.subn(
        r"(?m)^        server 127\.0\.0\.1:\d+ [^\n]*\n(?:        server [^\n]*\n)*", servers, text
    )
    if replaced != 1:
        raise ValueError(f"{NGINX_SAMPLE} has no block of upstream server lines to replace")
    text = text.replace("listen 127.0.0.1:8080;", f"listen 127.0.0.1:{port};")
    text = re.sub(r"/run/mbc-nginx\.pid", str(folder / "nginx.pid"), text)
    text = re.sub(r"/var/log/nginx/", f"{folder}/", text)
    return re.sub(r"/var/lib/nginx/", f"{folder}/", text)


@dataclass
class Proxy:
    """nginx in the foreground with the sample configuration, in front of ``upstreams`` (``host:port``)."""

    upstreams: list[str]
    folder: Path
    url: str = ""
    process: subprocess.Popen | None = field(default=None, repr=False)

    def start(self) -> Proxy:
        nginx = shutil.which("nginx") or "/usr/sbin/nginx"
        if not Path(nginx).exists():
            raise FileNotFoundError("nginx is not installed; install Debian's: apt-get install nginx-light")
        self.folder.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            shutil.chown(self.folder, user="nobody")  # nginx's workers run as nobody and write their temp files here
        port = free_port()
        config = self.folder / "nginx.conf"
        config.write_text(render_nginx_config(self.upstreams, port, self.folder), encoding="utf-8")
        checked = subprocess.run(
            [nginx, "-t", "-p", str(self.folder), "-c", str(config)], capture_output=True, text=True
        )
        if checked.returncode != 0:
            raise RuntimeError(f"nginx refused {config}:\n{checked.stderr}")
        log = self.folder / "nginx.out"
        with open(log, "wb") as output:
            self.process = subprocess.Popen(
                [nginx, "-p", str(self.folder), "-c", str(config), "-g", "daemon off;"], stdout=output, stderr=output
            )
        self.url = f"http://127.0.0.1:{port}"
        wait_healthy(self.url, self.process, log, START_S)
        return self

    def stop(self) -> None:
        stop_process(self.process)  # nginx's fast shutdown; its workers go with the master
