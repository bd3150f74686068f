-- re_entry_12m_rate: of episodes started in the period (transfer starts excluded), the share
-- whose child had a different episode that closed on or before the start date and on or after
-- the start date minus 12 calendar months (closure-to-start; flag derived at ingest).
-- grain: one row per period asked for and report group ('all'; or each locality / hub, plus
--        'unknown' when present)
-- columns: period (1, 2, … in the order asked), metric, group, numerator, denominator, value
--          (numerator ÷ denominator, a share from 0 to 1; null when the denominator is 0)
-- parameters: $starts, $ends (lists of dates: period n runs from $starts[n] to $ends[n],
--             both inclusive; periods may overlap), $by ('none' | 'locality' | 'hub');
--             filters $locality, $hub, $service (null = all)
with

in_period as (
    select
        period_days.period,
        report_group($by, locality_id, hub_id) as report_group,
        is_re_entry_12m as is_counted
    from episode_facts
    inner join period_days($starts, $ends) as period_days on start_date = period_days.day
    where start_reason <> 'transfer'
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

counts as (
    select
        period,
        report_group,
        count_if(is_counted) as numerator,
        count(*) as denominator
    from in_period
    group by period, report_group
),

final as (
    select
        coalesce(expected.period, counts.period) as period,
        're_entry_12m_rate' as metric,
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
