"""conftest's units of work for pytest-xdist's workers (`make test`: -n 2), on costs worked by hand."""
import conftest
from conftest import work_units

def test_a_file_is_a_unit_and_the_smoke_run_files_are_one(monkeypatch):
    monkeypatch.setattr(conftest, 'COST', {'test_p.py': 50, 'test_q.py': 40, 'test_s.py': 30})
    uses = {'t/test_p.py': 'def test(smoke_run): ...', 't/test_s.py': 'smoke_run'}
    unit, cost = work_units(['t/test_p.py', 't/test_q.py', 't/test_s.py', 'test_t.py'], text=lambda f: uses.get(f, ''))
    assert unit == {'t/test_p.py': 'smoke_run', 't/test_q.py': 'test_q.py', 't/test_s.py': 'smoke_run',
                    'test_t.py': 'test_t.py'}
    assert cost == {'smoke_run': 80, 'test_q.py': 40, 'test_t.py': conftest.DEFAULT_COST}   # 50 + 30; unlisted: 8
