-- outcomes_achieved_rate: of episodes closed in the period (transfer closures excluded), the
-- share closed with outcomes achieved.
-- grain: one row per period asked for and report group ('all'; or each locality / hub, plus
--        'unknown' when present)
-- columns: period (1, 2, … in the order asked), metric, group, numerator, denominator, value
--          (numerator ÷ denominator, a share from 0 to 1; null when the denominator is 0)
-- parameters: $starts, $ends (lists of dates: period n runs from $starts[n] to $ends[n],
--             both inclusive; periods may overlap), $by ('none' | 'locality' | 'hub');
--             filters $locality, $hub, $service (null = all)
with

-- The metric's rows within the span of the periods asked.
in_span as not materialized (
    select
        end_date as day,
        report_key($by, locality_id, hub_id) as report_key,
        closure_reason = 'outcomes_achieved' as is_counted
    from episode_closures
    where end_date between list_min($starts) and list_max($ends)
        and closure_reason <> 'transfer'
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

-- One period (most calls): its rows counted directly.
one_period as (
    select
        1 as period,
        report_label($by, report_key) as report_group,
        count_if(is_counted) as numerator,
        count(*) as denominator
    from in_span
    where len($starts) = 1
    group by report_key
),

-- Several periods (a trend): rows counted by day once, then each period sums its days.
by_day as (
    select
        day,
        report_key,
        count_if(is_counted) as numerator,
        count(*) as denominator
    from in_span
    where len($starts) > 1
    group by day, report_key
),

several_periods as (
    select
        period_days.period,
        report_label($by, by_day.report_key) as report_group,
        sum(by_day.numerator)::bigint as numerator,
        sum(by_day.denominator)::bigint as denominator
    from by_day
    inner join period_days($starts, $ends) as period_days on by_day.day = period_days.day
    group by period_days.period, by_day.report_key
),

counts as (
    select * from one_period
    union all
    select * from several_periods
),

final as (
    select
        coalesce(expected.period, counts.period) as period,
        'outcomes_achieved_rate' as metric,
        coalesce(expected.report_group, counts.report_group) as "group",
        coalesce(counts.numerator, 0) as numerator,
        coalesce(counts.denominator, 0) as denominator,
        counts.numerator / nullif(counts.denominator, 0) as value
    from period_groups($starts, $ends, $by, $locality, $hub) as expected
    full outer join counts
        on expected.period = counts.period and expected.report_group = counts.report_group
)

select * from final
order by period, "group" = 'unknown', "group"
