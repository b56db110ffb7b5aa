import io

from django.core.management.base import OutputWrapper

from shared.progress import ProgressBar


def test_outside_a_terminal_it_writes_a_line_per_tenth_of_the_work():
    out = io.StringIO()
    bar = ProgressBar(OutputWrapper(out), 100, "loading")

    for done in range(1, 101):
        bar.update(done)

    lines = out.getvalue().splitlines()
    assert len(lines) == 11  # the start, then each tenth
    assert lines[0] == "loading [------------------------------] 1/100"
    assert lines[1] == "loading [###---------------------------] 10/100"
    assert lines[-1].startswith("loading [##############################] 100/100")


def test_an_unknown_total_counts_and_disabled_writes_nothing():
    out = io.StringIO()
    ProgressBar(OutputWrapper(out), None, "files").update(7)
    quiet = io.StringIO()
    ProgressBar(OutputWrapper(quiet), 10, "x", enabled=False).update(10)

    assert out.getvalue() == "files 7\n"
    assert quiet.getvalue() == ""
