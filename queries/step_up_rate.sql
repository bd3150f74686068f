-- step_up_rate: of episodes closed in the period (transfer closures excluded), the share
-- closed as a step-up to children's social care.
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
        closure_reason = 'step_up_to_social_care' as is_counted
    from episode_closures
    inner join period_days($starts, $ends) as period_days on end_date = period_days.day
    where closure_reason <> 'transfer'
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
        'step_up_rate' as metric,
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
