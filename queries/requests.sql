-- requests: requests received in the period (counts requests; a child may have several).
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown'
--        when present)
-- columns: metric, group, numerator (the count), denominator (null), value (the count)
-- parameters: $start, $end (dates, both inclusive), $by (a breakdown: docs/metrics.md);
--             filters $locality, $area_number, $catchment_number, $hub (null = all)
with

in_period as (
    select report_key(
        $by, locality_number, hub_number, catchment_number, area_number,
        sex, ethnic_group, send, age_band, imd_decile
    ) as report_key
    from request_facts
    where received_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
),

counts as (
    select
        report_label($by, report_key) as report_group,
        count(*) as n
    from in_period
    group by report_key
),

final as (
    select
        'requests' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.n, 0) as numerator,
        null::bigint as denominator,
        coalesce(counts.n, 0)::double as value
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
