"""Put on PYTHONPATH by tests that must prove nothing goes to the network: every IP connection attempt is refused and
logged to $DVIT_NETGUARD_LOG (which also records that the guard was loaded)."""
import os, socket

_log = os.environ.get('DVIT_NETGUARD_LOG')
if _log:
    with open(_log, 'a') as f: f.write('loaded\n')
    _connect, _connect_ex = socket.socket.connect, socket.socket.connect_ex

    def _guard(orig):
        def f(self, address, *a, **k):
            if self.family in (socket.AF_INET, socket.AF_INET6):
                with open(_log, 'a') as g: g.write(f'connect {address!r}\n')
                raise OSError(f'network access is disabled in this test (tried {address!r})')
            return orig(self, address, *a, **k)
        return f
    socket.socket.connect, socket.socket.connect_ex = _guard(_connect), _guard(_connect_ex)
