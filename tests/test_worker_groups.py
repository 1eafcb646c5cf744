"""conftest's split of the test files between pytest-xdist's workers (`make test`: -n 2), on costs worked by hand."""
import conftest
from conftest import worker_groups, file_groups

def test_longest_first_each_to_the_lightest_group():
    # 9 -> 0; 7 -> 1; 5 -> 1 (7 < 9); 4 -> 0 (9 < 12); 2 -> 1 (12 < 13): loads 13 and 14
    assert worker_groups({'a': 5, 'b': 9, 'c': 2, 'd': 7, 'e': 4}, 2) == {'b': 0, 'd': 1, 'a': 1, 'e': 0, 'c': 1}
    assert worker_groups({'a': 1, 'b': 1, 'c': 1}, 3) == {'a': 0, 'b': 1, 'c': 2}   # ties: by name, one each
    assert set(worker_groups({'a': 3, 'b': 3}, 1).values()) == {0}

def test_the_files_of_the_smoke_run_stay_together(monkeypatch):
    monkeypatch.setattr(conftest, 'COST', {'test_p.py': 50, 'test_q.py': 40, 'test_r.py': 45, 'test_s.py': 30})
    uses = {'t/test_p.py': 'def test(smoke_run): ...', 'test_r.py': 'x = 1', 't/test_s.py': 'smoke_run'}
    # units: smoke_run = p + s = 80, r = 45, q = 40, test_t.py = DEFAULT_COST 8: 80 -> 0; 45 -> 1; 40 -> 1;
    # 8 -> 0 (80 < 85)
    got = file_groups(['t/test_p.py', 't/test_q.py', 'test_r.py', 't/test_s.py', 'test_t.py'], 2,
                      text=lambda f: uses.get(f, ''))
    assert got == {'t/test_p.py': 0, 't/test_s.py': 0, 'test_r.py': 1, 't/test_q.py': 1, 'test_t.py': 0}
