-- survey_agree_rate: of survey responses in the period, the share scoring 4 or 5 (agree or
-- strongly agree). Locality is the responding hub's locality.
-- grain: one row per period asked for and report group ('all'; or each locality / hub, plus
--        'unknown' when present)
-- columns: period (1, 2, … in the order asked), metric, group, numerator, denominator, value
--          (numerator ÷ denominator, a share from 0 to 1; null when the denominator is 0)
-- parameters: $starts, $ends (lists of dates: period n runs from $starts[n] to $ends[n],
--             both inclusive; periods may overlap), $by ('none' | 'locality' | 'hub');
--             filters $locality, $hub (null = all)
with

in_period as (
    select
        period_days.period,
        report_group($by, locality_id, hub_id) as report_group,
        is_agree as is_counted
    from survey_facts
    inner join period_days($starts, $ends) as period_days on response_date = period_days.day
    where in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
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
        'survey_agree_rate' as metric,
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
