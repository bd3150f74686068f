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

-- One period (most calls): a filter on its last day.
open_at_end_of_one as (
    select
        report_label($by, report_key($by, locality_id, hub_id)) as report_group,
        count(*) as n
    from episode_facts
    where len($ends) = 1
        and start_date <= $ends[1] and (end_date is null or end_date > $ends[1])
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by report_key($by, locality_id, hub_id)
),

-- Several periods (a trend): open at a day = started on or before it less ended on or
-- before it (an episode never ends before it starts), from the changes counted by day.
changes as (
    select
        start_date as day,
        report_key($by, locality_id, hub_id) as report_key,
        1 as change
    from episode_facts
    where len($ends) > 1
        and start_date <= list_max($ends)
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    union all
    select
        end_date as day,
        report_key($by, locality_id, hub_id) as report_key,
        -1 as change
    from episode_facts
    where len($ends) > 1
        and end_date <= list_max($ends)
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

changes_by_day as (
    select
        day,
        report_key,
        sum(change) as change
    from changes
    group by day, report_key
),

open_at_end_of_several as (
    select
        asked.period,
        report_label($by, changes_by_day.report_key) as report_group,
        sum(changes_by_day.change)::bigint as n
    from changes_by_day
    inner join periods_asked($starts, $ends) as asked on changes_by_day.day <= asked.end_day
    group by asked.period, changes_by_day.report_key
    having sum(changes_by_day.change) <> 0
),

counts as (
    select
        1 as period,
        report_group,
        n
    from open_at_end_of_one
    union all
    select * from open_at_end_of_several
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
