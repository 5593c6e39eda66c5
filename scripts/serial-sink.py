#!/usr/bin/env python3
"""Receive an emulator's serial port over TCP and append it to a file as it
arrives (Bochs' "file" mode buffers its output, and loses what is still
buffered when Bochs is stopped).

  serial-sink.py PORTFILE OUTFILE

Listens on 127.0.0.1 at a free port, writes the port to PORTFILE, accepts
one connection (Bochs' com1 mode=socket-client), and copies what it
receives to OUTFILE until the connection closes.  Exits without one after
five minutes, or when its parent (run-guest.sh) is gone."""
import os
import socket
import sys


def main():
    portfile, outfile = sys.argv[1], sys.argv[2]
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.bind(('127.0.0.1', 0))
    srv.listen(1)
    with open(portfile + '.tmp', 'w') as f:
        f.write('%d\n' % srv.getsockname()[1])
    os.rename(portfile + '.tmp', portfile)
    # Bochs connects when it starts.  Give up after five minutes, or as
    # soon as run-guest.sh is gone (this process is then reparented).
    parent = os.getppid()
    srv.settimeout(1)
    for _ in range(300):
        try:
            conn, _ = srv.accept()
            break
        except socket.timeout:
            if os.getppid() != parent:
                sys.exit('serial-sink.py: run-guest.sh is gone')
    else:
        sys.exit('serial-sink.py: nothing connected in five minutes')
    conn.settimeout(None)
    srv.close()
    with open(outfile, 'ab', buffering=0) as out:
        while True:
            data = conn.recv(65536)
            if not data:
                break
            out.write(data)


if __name__ == '__main__':
    main()
