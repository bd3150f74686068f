-- open_episodes: episodes open at the end of the period: started on or before its last day
-- and not ended by then (end_date empty or after it). Transfers are not excluded: a transferred
-- child has one open episode at any moment.
-- grain: one row per period asked for and report group ('all'; or each locality / hub, plus
--        'unknown' when present)
-- columns: period (1, 2, … in the order asked), metric, group, numerator (the count),
--          denominator (null), value (the count)
-- parameters: $starts, $ends (lists of dates: period n runs from $starts[n] to $ends[n];
--             only its last day counts here), $by ('none' | 'locality' | 'hub');
--             filters $locality, $hub, $service (null = all)
with

open_at_end as (
    select
        asked.period,
        report_group($by, locality_id, hub_id) as report_group
    from episode_facts
    inner join periods_asked($starts, $ends) as asked
        on start_date <= asked.end_day and coalesce(end_date, 'infinity'::date) > asked.end_day
    where in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

counts as (
    select
        period,
        report_group,
        count(*) as n
    from open_at_end
    group by period, report_group
),

final as (
    select
        coalesce(expected.period, counts.period) as period,
        'open_episodes' as metric,
        coalesce(expected.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        null::bigint as denominator,
        coalesce(counts.n, 0)::double as value
    from period_groups($starts, $ends, $by, $locality, $hub) as expected
    full outer join counts
        on expected.period = counts.period and expected.report_group = counts.report_group
)

select * from final
order by period, "group" = 'unknown', "group"
