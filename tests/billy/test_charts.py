from datetime import date, timedelta

from billy.charts import calls_per_day_svg


def test_the_chart_scales_to_a_round_maximum_and_escapes_nothing_unsafe():
    days = [
        (date(2025, 3, 1) + timedelta(days=n), calls, calls // 10) for n, calls in enumerate([0, 120, 430])
    ]

    svg = calls_per_day_svg(days)

    assert svg.startswith("<svg") and svg.count('<g class="day">') == 3
    assert ">500</text>" in svg  # 430 rounds up to 500 on the axis
    assert "2025-03-03: 430 calls, 43 errors" in svg


def test_a_chart_of_quiet_days_draws_empty_bars():
    svg = calls_per_day_svg([(date(2025, 3, 1), 0, 0), (date(2025, 3, 2), 0, 0)])

    assert svg.count('height="0.0"') == 4 and ">1</text>" in svg
    assert calls_per_day_svg([]) == ""
