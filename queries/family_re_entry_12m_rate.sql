-- family_re_entry_12m_rate: of families with at least one episode started in the period
-- (transfer starts excluded; within the filters), the share re-entering. S is the family's
-- first such start date. The family re-enters when an episode of any of its children that
-- started before S closed on or before S and on or after S minus 12 calendar months, and no
-- episode of the family that started before S was still open on S (no end, or an end after
-- S). The earlier episodes are all the family's, whatever the filters (as for re-entry of a
-- child), and any closure reason counts.
-- grain: one row per report group ('all', or each group of the breakdown, plus 'unknown' when present)
-- columns: metric, group, numerator (families re-entering), denominator (families starting),
--          value (share from 0 to 1; null when no family started)
-- parameters: $start, $end (dates, both inclusive), $by ('none' | 'locality' | 'catchment' |
--             'area' | 'imd_decile'); filters $locality, $hub (lead hub), $service (null = all)
with

starting as (
    select
        family_id,
        min(start_date) as first_start,
        -- a family's place is the same on all its rows (families.csv)
        any_value(report_key(
            $by, locality_id, null, catchment_hub_id, area_code,
            null, null, null, null, imd_decile
        )) as report_key
    from episode_facts
    where start_date between $start and $end
        and start_reason <> 'transfer'
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by family_id
),

earlier as (
    select
        starting.family_id,
        bool_or(
            episode_facts.end_date <= starting.first_start
            and episode_facts.end_date >= starting.first_start - interval 12 month
        ) as closed_within_12m,
        bool_or(
            episode_facts.end_date is null or episode_facts.end_date > starting.first_start
        ) as still_open
    from starting
    inner join episode_facts
        on
            starting.family_id = episode_facts.family_id
            and episode_facts.start_date < starting.first_start
    group by starting.family_id
),

counts as (
    select
        report_label($by, starting.report_key) as report_group,
        count_if(coalesce(earlier.closed_within_12m and not earlier.still_open, false))
            as numerator,
        count(*) as denominator
    from starting
    left join earlier on starting.family_id = earlier.family_id
    group by starting.report_key
),

final as (
    select
        'family_re_entry_12m_rate' as metric,
        coalesce(report_groups.report_group, counts.report_group) as "group",
        coalesce(counts.numerator, 0) as numerator,
        coalesce(counts.denominator, 0) as denominator,
        counts.numerator / nullif(counts.denominator, 0) as value
    from report_groups($by, $locality, $hub) as report_groups
    full outer join counts on report_groups.report_group = counts.report_group
)

select * from final
order by "group" = 'unknown', report_order($by, "group")
