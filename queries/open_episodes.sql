-- open_episodes: episodes open at the end of the period: started on or before its last day
-- and not ended by then (end_date empty or after it). Transfers are not excluded: a transferred
-- child has one open episode at any moment.
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator (the count), denominator (null), value (the count)
-- parameters: $end (the period's last day), $by (a breakdown: docs/metrics.md);
--             filters $locality, $area_number, $catchment_number, $hub, $service (null = all)
with

open_at_end as (
    select report_key(
        $by, locality_number, hub_number, catchment_number, area_number,
        sex, ethnic_group, send, age_band(birth_start, $end), imd_decile
    ) as report_key
    from episode_spans
    where start_date <= $end and end_or_open > $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
),

counts as (
    select
        report_label($by, report_key) as report_group,
        count(*) as n
    from open_at_end
    group by report_key
),

final as (
    select
        'open_episodes' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        null::bigint as denominator,
        coalesce(counts.n, 0)::double as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
