"""Runs one program on a pseudo-terminal for tests/e2e/pty.rs.

Usage: python3 pty_run.py SPEC_JSON

SPEC_JSON: {"argv": [...], "rows": N, "cols": N, "timeout": SECONDS,
            "answer": null | "TEXT" | "EOF", "stdout": null | PATH, "stderr": null | PATH}

The program runs with this process's environment, its standard input, output and error all on
the terminal (so stdout and stderr are merged), with the window size set before it starts;
"stdout" or "stderr" sends that stream to a file instead of the terminal.
When `answer` is given, it is typed once the output shows `[y/N]` ("EOF" types Ctrl-D, end of
input on an empty line). Prints one JSON object: {"exit": code or null, "signal": number or
null, "output": text, "prompted": bool, "timed_out": bool}.
"""

import errno
import json
import os
import pty
import select
import signal
import struct
import sys
import termios
import fcntl
import time

PROMPT = b"[y/N]"


def main():
    spec = json.loads(sys.argv[1])
    argv = spec["argv"]
    rows, cols = spec.get("rows", 24), spec.get("cols", 80)
    timeout = spec.get("timeout", 20)
    answer = spec.get("answer")

    pid, fd = pty.fork()
    if pid == 0:
        # The child: the terminal is its stdin/stdout/stderr and its controlling terminal.
        try:
            fcntl.ioctl(0, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
            for target, name in ((1, "stdout"), (2, "stderr")):
                if spec.get(name):
                    f = os.open(spec[name], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
                    os.dup2(f, target)
                    os.close(f)
            os.execv(argv[0], argv)
        except BaseException as e:  # noqa: BLE001 - report and leave
            os.write(2, ("pty_run: exec failed: %r\n" % (e,)).encode())
        os._exit(127)

    out = bytearray()
    prompted = False
    answered = answer is None
    timed_out = False
    deadline = time.monotonic() + timeout
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if not ready:
            continue
        try:
            chunk = os.read(fd, 65536)
        except OSError as e:
            if e.errno == errno.EIO:  # Linux: every copy of the terminal's other side closed
                break
            raise
        if not chunk:
            break
        out += chunk
        if not prompted and PROMPT in out:
            prompted = True
        if prompted and not answered:
            answered = True
            os.write(fd, b"\x04" if answer == "EOF" else answer.encode())

    if timed_out:
        try:
            os.kill(pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
    _, status = os.waitpid(pid, 0)
    os.close(fd)
    result = {
        "exit": os.WEXITSTATUS(status) if os.WIFEXITED(status) else None,
        "signal": os.WTERMSIG(status) if os.WIFSIGNALED(status) else None,
        "output": out.decode("utf-8", errors="replace"),
        "prompted": prompted,
        "timed_out": timed_out,
    }
    sys.stdout.write(json.dumps(result))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
