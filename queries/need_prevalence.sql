-- need_prevalence: for each need code, of the assessments completed in the period, the share
-- listing that need. An assessment takes its episode's lead hub and the child's locality.
-- grain: one row per period asked for, need code and report group; metric is
--        'need_prevalence:<need code>', needs in data-contract order
-- columns: period (1, 2, … in the order asked), metric, group, numerator (assessments listing
--          the need), denominator (assessments), value (share from 0 to 1; null when no
--          assessment was completed)
-- parameters: $starts, $ends (lists of dates: period n runs from $starts[n] to $ends[n],
--             both inclusive; periods may overlap), $by ('none' | 'locality' | 'hub');
--             filters $locality, $hub, $service (null = all)
with

-- The assessments completed within the span of the periods asked.
assessments_in_span as not materialized (
    select
        completed_date as day,
        report_key($by, locality_id, hub_id) as report_key
    from assessment_facts
    where completed_date between list_min($starts) and list_max($ends)
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

-- One period (most calls): its assessments counted directly. Several periods (a trend):
-- counted by day once, then each period sums its days.
denominators_by_day as (
    select
        day,
        report_key,
        count(*) as n
    from assessments_in_span
    where len($starts) > 1
    group by day, report_key
),

denominators as (
    select
        1 as period,
        report_label($by, report_key) as report_group,
        count(*) as n
    from assessments_in_span
    where len($starts) = 1
    group by report_key
    union all
    select
        period_days.period,
        report_label($by, by_day.report_key) as report_group,
        sum(by_day.n)::bigint as n
    from denominators_by_day as by_day
    inner join period_days($starts, $ends) as period_days on by_day.day = period_days.day
    group by period_days.period, by_day.report_key
),

-- Each period's whole calendar months are read from need_months and its days outside them
-- from assessment_needs; one period filters them, several join them.
period_months as (
    select
        period,
        unnest(generate_series(
            whole_months_from(start_day)::timestamp,
            whole_months_to(end_day)::timestamp,
            interval 1 month
        ))::date as month
    from periods_asked($starts, $ends)
    where len($starts) > 1
),

part_month_days as (
    select
        period_days.period,
        period_days.day
    from period_days($starts, $ends) as period_days
    inner join periods_asked($starts, $ends) as asked on period_days.period = asked.period
    where
        len($starts) > 1
        and (
            period_days.day < whole_months_from(asked.start_day)
            or period_days.day > whole_months_to(asked.end_day)
        )
),

need_rows as (
    select
        1 as period,
        locality_id,
        hub_id,
        service,
        need_order,
        assessments
    from need_months
    where len($starts) = 1
        and month between whole_months_from($starts[1]) and whole_months_to($ends[1])
    union all
    select
        1 as period,
        locality_id,
        hub_id,
        service,
        need_order,
        1 as assessments
    from assessment_needs
    where len($starts) = 1
        and completed_date between $starts[1] and $ends[1]
        and (
            completed_date < whole_months_from($starts[1])
            or completed_date > whole_months_to($ends[1])
        )
    union all
    select
        period_months.period,
        locality_id,
        hub_id,
        service,
        need_order,
        assessments
    from need_months
    inner join period_months on need_months.month = period_months.month
    union all
    select
        part_month_days.period,
        locality_id,
        hub_id,
        service,
        need_order,
        1 as assessments
    from assessment_needs
    inner join part_month_days on completed_date = part_month_days.day
),

need_counts as (
    select
        period,
        report_label($by, report_key($by, locality_id, hub_id)) as report_group,
        need_order,
        -- Summed as doubles (exact below 2^53): the integer sum's 128-bit state doubles the
        -- time by hub at national scale.
        sum(assessments::double)::bigint as n
    from need_rows
    where in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by period, report_key($by, locality_id, hub_id), need_order
),

groups as (
    select
        coalesce(expected.period, denominators.period) as period,
        coalesce(expected.report_group, denominators.report_group) as report_group,
        coalesce(denominators.n, 0) as n
    from period_groups($starts, $ends, $by, $locality, $hub) as expected
    full outer join denominators
        on
            expected.period = denominators.period
            and expected.report_group = denominators.report_group
),

final as (
    select
        groups.period,
        'need_prevalence:' || need_codes.need as metric,
        groups.report_group as "group",
        coalesce(need_counts.n, 0) as numerator,
        groups.n as denominator,
        coalesce(need_counts.n, 0) / nullif(groups.n, 0) as value,
        need_codes.sort_order
    from groups
    cross join need_codes
    left join need_counts
        on
            groups.period = need_counts.period
            and groups.report_group = need_counts.report_group
            and need_codes.sort_order = need_counts.need_order
)

select
    period,
    metric,
    "group",
    numerator,
    denominator,
    value
from final
order by period, sort_order, "group" = 'unknown', "group"
