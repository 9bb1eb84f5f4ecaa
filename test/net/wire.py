#!/usr/bin/env python3
"""A user-space cable with a one-way delay (and optional loss) between two TAP devices
in two network namespaces: the WAN leg of an emulated home router.

The test kernels have no sch_netem, and Node can neither open a TAP device (TUNSETIFF
is an ioctl) nor enter a namespace per file descriptor (setns), so this stays Python.
Rate limiting is done by the kernel (tbf on the TAP devices), not here.

usage: wire.py NS1:IF1 NS2:IF2 DELAY_MS [LOSS_PERCENT]
Prints 'ready' once both TAP devices exist. They live only while this process runs;
it also dies with its parent (PR_SET_PDEATHSIG), so a killed test leaves no wire behind.
"""
import ctypes, fcntl, os, random, select, signal, struct, sys, time
from collections import deque

libc = ctypes.CDLL(None, use_errno=True)
CLONE_NEWNET, TUNSETIFF, IFF_TAP, IFF_NO_PI, PR_SET_PDEATHSIG = 0x40000000, 0x400454CA, 0x0002, 0x1000, 1
MAX_QUEUED_FRAMES = 20000      # per direction, then tail drop (tbf in front holds the real queue)
BURST_FRAMES = 256             # frames read from one device per wake-up

libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
if os.getppid() == 1:          # the parent died before prctl took effect
    sys.exit(1)


def tap_in(ns, name):
    """Creates TAP device `name` inside namespace `ns` (a device is made in the caller's netns)."""
    home = os.open('/proc/self/ns/net', os.O_RDONLY)
    target = os.open(f'/run/netns/{ns}', os.O_RDONLY)
    try:
        if libc.setns(target, CLONE_NEWNET):
            raise OSError(ctypes.get_errno(), f'setns {ns}')
        fd = os.open('/dev/net/tun', os.O_RDWR | os.O_NONBLOCK)
        fcntl.ioctl(fd, TUNSETIFF, struct.pack('16sH', name.encode(), IFF_TAP | IFF_NO_PI))
    finally:
        libc.setns(home, CLONE_NEWNET)
        os.close(home)
        os.close(target)
    return fd


(ns1, if1), (ns2, if2) = (a.split(':') for a in sys.argv[1:3])
delay = float(sys.argv[3]) / 1000.0
loss = float(sys.argv[4]) / 100.0 if len(sys.argv) > 4 else 0.0
fa, fb = tap_in(ns1, if1), tap_in(ns2, if2)
peer = {fa: fb, fb: fa}
queues = {fa: deque(), fb: deque()}      # keyed by OUTPUT fd: (due_time, frame); constant delay => FIFO
print('ready', flush=True)
while True:
    now = time.monotonic()
    due = [q[0][0] for q in queues.values() if q]
    timeout = max(0.0, min(due) - now) if due else 1.0
    readable, _, _ = select.select([fa, fb], [], [], timeout)
    now = time.monotonic()
    for fd in readable:
        for _ in range(BURST_FRAMES):
            try:
                frame = os.read(fd, 65536)
            except BlockingIOError:
                break
            if loss and random.random() < loss:
                continue
            q = queues[peer[fd]]
            if len(q) < MAX_QUEUED_FRAMES:
                q.append((now + delay, frame))
    now = time.monotonic()
    for out, q in queues.items():
        while q and q[0][0] <= now:
            try:
                os.write(out, q.popleft()[1])
            except OSError:
                pass                       # peer TAP down / full: drop like a wire would
