"""A throwaway `redis-server` on a free loopback port, for the pub/sub tests (stopped by PID, bounded in time)."""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@dataclass
class RedisServer:
    proc: subprocess.Popen
    port: int
    log: Path

    @property
    def url(self) -> str:
        return f'redis://127.0.0.1:{self.port}/0'

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)


def _ping(port: int) -> bool:
    try:
        with socket.create_connection(('127.0.0.1', port), timeout=0.5) as s:
            s.sendall(b'PING\r\n')
            return s.recv(16).startswith(b'+PONG')
    except OSError:
        return False


def start_redis(workdir: Path, timeout: float = 10.0) -> RedisServer:
    "Start redis-server (no persistence) in `workdir` on a free 127.0.0.1 port and wait until it answers PING."
    exe = shutil.which('redis-server')
    if exe is None:
        raise RuntimeError('redis-server is not installed: run `make redis`')
    for _ in range(3):
        port = free_port()
        log = workdir / f'redis-{port}.log'
        with open(log, 'wb') as out:
            proc = subprocess.Popen([exe, '--port', str(port), '--bind', '127.0.0.1', '--save', '',
                                     '--appendonly', 'no', '--dir', str(workdir), '--protected-mode', 'yes'],
                                    stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
        server = RedisServer(proc, port, log)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and proc.poll() is None:
            if _ping(port):
                return server
            time.sleep(0.05)
        server.stop()
        if 'Address already in use' not in log.read_text(errors='replace'):
            break
    raise RuntimeError(f'redis-server did not start:\n{log.read_text(errors="replace")[-2000:]}')


def kill_group(proc: subprocess.Popen, grace: float = 5.0) -> None:
    "SIGTERM the process group started with start_new_session=True, then SIGKILL after `grace` seconds."
    if proc.poll() is not None:
        return
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        proc.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(grace)
