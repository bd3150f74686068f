-- need_prevalence: for each need code, of the assessments completed in the period, the share
-- listing that need. An assessment takes its episode's lead hub and the child's locality,
-- small area, catchment, sex, ethnic group, SEND, age band at completion and IMD decile.
-- grain: one row per report group, in report order, its need counts as a list in need order
--        (need_codes.sort_order, the data contract's order). metrics.py lays out the tidy
--        rows from it (metric 'need_prevalence:<need code>', needs first; value = numerator /
--        denominator, null when no assessment was completed): by tens of thousands of areas,
--        sorting and joining 25 rows a group, or a list of shares, in SQL cost more than the
--        counting (bench/design-measurements.md).
-- columns: group, denominator (assessments), numerators (assessments listing each need)
-- parameters: $start, $end (dates, both inclusive), $by (a breakdown: docs/metrics.md);
--             filters $locality, $area_number, $catchment_number, $hub, $service (null = all)
with

in_period as (
    select
        report_key(
            $by, locality_number, hub_number, catchment_number, area_number,
            sex, ethnic_group, send, age_band, imd_decile
        ) as report_key,
        need_bits
    from assessment_facts
    where completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
        and not area_totals_apply(
            $by, $area_number, $catchment_number, $hub, $service, $start, $end
        )
),

denominators as (
    select
        report_key,
        count(*) as n
    from in_period
    group by report_key
),

-- By none, locality or hub: the period's whole months from need_months; by the child's sex,
-- ethnic group, SEND, age band or decile with no filter, from need_months_by_child. The other
-- days (all of them when the period holds no whole month, and every day for a child
-- attribute within a filter) from assessment_needs, which repeats each assessment's date,
-- places, service and child on its need rows. None of these carries the family's small area
-- or catchment: within an area or catchment filter, as by them, need_counts reads in_period.
need_rows as (
    select
        locality_id,
        hub_id,
        service,
        need_order,
        assessments,
        report_key(
            $by, locality_number, hub_number, null, null, null, null, null, null, null
        ) as report_key
    from need_months
    where month between whole_months_from($start) and whole_months_to($end)
        and $by in ('none', 'locality', 'hub')
        and $area_number is null and $catchment_number is null
    union all
    select
        null as locality_id,
        null as hub_id,
        null as service,
        need_order,
        assessments,
        report_key(
            $by, null, null, null, null, sex, ethnic_group, send, age_band, imd_decile
        ) as report_key
    from need_months_by_child
    where month between whole_months_from($start) and whole_months_to($end)
        and $by in ('sex', 'ethnic_group', 'send', 'age_band', 'imd_decile')
        and $locality is null and $hub is null and $service is null
        and $area_number is null and $catchment_number is null
    union all
    select
        locality_id,
        hub_id,
        service,
        need_order,
        1 as assessments,
        report_key(
            $by, locality_number, hub_number, null, null,
            sex, ethnic_group, send, age_band, imd_decile
        ) as report_key
    from assessment_needs
    where completed_date between $start and $end
        and (
            completed_date < whole_months_from($start)
            or completed_date > whole_months_to($end)
            or not (
                $by in ('none', 'locality', 'hub')
                or $locality is null and $hub is null and $service is null
            )
        )
        and $by not in ('catchment', 'area')
        and $area_number is null and $catchment_number is null
),

need_counts as (
    select
        report_key,
        need_order,
        -- Summed as doubles (exact below 2^53): the integer sum's 128-bit state is slower.
        sum(assessments::double)::bigint as n
    from need_rows
    where in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by report_key, need_order
    union all
    -- By catchment or area (thousands of groups), or within an area or catchment filter, when
    -- area_need_totals cannot answer: each assessment's need_bits, tested need by need,
    -- groups fewer rows than the need rows would.
    select
        in_period.report_key,
        need_codes.sort_order as need_order,
        count(*) as n
    from in_period
    inner join need_codes on in_period.need_bits & need_bit(need_codes.sort_order) <> 0
    where $by in ('catchment', 'area')
        or $area_number is not null or $catchment_number is not null
    group by in_period.report_key, need_codes.sort_order
),

-- Each group's need counts from the rows above as a list in need order, 0 for a need no
-- assessment listed.
row_lists as (
    select
        denominators.report_key,
        denominators.n,
        list(coalesce(need_counts.n, 0) order by need_codes.sort_order) as numerators
    from denominators
    cross join need_codes
    left join need_counts
        on
            denominators.report_key is not distinct from need_counts.report_key
            and need_codes.sort_order = need_counts.need_order
    group by denominators.report_key, denominators.n
),

-- By area or catchment over whole months (area_totals_apply): each place's running totals at
-- the period's last month less those at the month before its first. A month past the last
-- with an assessment reads the last; before the first there is no row, so nothing to take
-- away. Written column by column (area_need_totals' need_1 … need_25): a union of the two
-- months summed by place cost three times the join (bench/design-measurements.md).
area_ends as (
    select * from area_need_totals
    where month = least(
        date_trunc('month', $end)::date, (select max(latest.month) from area_need_totals as latest)
    )
        and area_totals_apply($by, $area_number, $catchment_number, $hub, $service, $start, $end)
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
),

area_starts as (
    select * from area_need_totals
    where month = least(
        (date_trunc('month', $start) - interval 1 month)::date,
        (select max(latest.month) from area_need_totals as latest)
    )
        and area_totals_apply($by, $area_number, $catchment_number, $hub, $service, $start, $end)
),

area_changes as (
    select
        report_key(
            $by, ends.locality_number, null, ends.catchment_number, ends.area_number,
            null, null, null, null, null
        ) as report_key,
        ends.assessments - coalesce(starts.assessments, 0) as assessments,
        ends.need_1 - coalesce(starts.need_1, 0) as need_1,
        ends.need_2 - coalesce(starts.need_2, 0) as need_2,
        ends.need_3 - coalesce(starts.need_3, 0) as need_3,
        ends.need_4 - coalesce(starts.need_4, 0) as need_4,
        ends.need_5 - coalesce(starts.need_5, 0) as need_5,
        ends.need_6 - coalesce(starts.need_6, 0) as need_6,
        ends.need_7 - coalesce(starts.need_7, 0) as need_7,
        ends.need_8 - coalesce(starts.need_8, 0) as need_8,
        ends.need_9 - coalesce(starts.need_9, 0) as need_9,
        ends.need_10 - coalesce(starts.need_10, 0) as need_10,
        ends.need_11 - coalesce(starts.need_11, 0) as need_11,
        ends.need_12 - coalesce(starts.need_12, 0) as need_12,
        ends.need_13 - coalesce(starts.need_13, 0) as need_13,
        ends.need_14 - coalesce(starts.need_14, 0) as need_14,
        ends.need_15 - coalesce(starts.need_15, 0) as need_15,
        ends.need_16 - coalesce(starts.need_16, 0) as need_16,
        ends.need_17 - coalesce(starts.need_17, 0) as need_17,
        ends.need_18 - coalesce(starts.need_18, 0) as need_18,
        ends.need_19 - coalesce(starts.need_19, 0) as need_19,
        ends.need_20 - coalesce(starts.need_20, 0) as need_20,
        ends.need_21 - coalesce(starts.need_21, 0) as need_21,
        ends.need_22 - coalesce(starts.need_22, 0) as need_22,
        ends.need_23 - coalesce(starts.need_23, 0) as need_23,
        ends.need_24 - coalesce(starts.need_24, 0) as need_24,
        ends.need_25 - coalesce(starts.need_25, 0) as need_25
    from area_ends as ends
    left join area_starts as starts
        on
            ends.locality_number is not distinct from starts.locality_number
            and ends.area_number is not distinct from starts.area_number
),

-- A place that is a report group by itself (an area) as it is; by area, the families without
-- one (a row a locality) added up into one group without grouping (grouped on the area's
-- number, DuckDB readies a table for every number an area has: 26 sums for each of 33,264).
-- By catchment, locality or none, the places that make a group together are added up.
area_sums as (
    select * from area_changes
    where $by = 'area' and report_key is not null
    union all
    select
        null as report_key,
        -- as doubles, like need_counts above
        sum(columns('^(assessments|need_\d+)$')::double)::bigint
    from area_changes
    where $by = 'area' and report_key is null
    having count(*) > 0
    union all
    select
        report_key,
        sum(columns('^(assessments|need_\d+)$')::double)::bigint
    from area_changes
    where $by <> 'area'
    group by report_key
),

-- A group's totals are there whether or not it had an assessment in the period: only those
-- with one are kept, as the rows above keep them (no 'unknown' group without one).
area_lists as (
    select
        report_key,
        assessments as n,
        list_value(*columns('^need_\d+$')) as numerators
    from area_sums
    where assessments > 0
),

labelled as (
    select
        report_label($by, report_key) as report_group,
        n,
        numerators
    from (
        select * from row_lists
        union all
        select * from area_lists
    ) as need_lists
),

groups as (
    select
        coalesce(report_groups.report_group, labelled.report_group) as report_group,
        coalesce(labelled.n, 0) as n,
        -- a group without assessments: every need 0 (metrics.py leaves its shares empty)
        coalesce(
            labelled.numerators, (select list(0 order by need_codes.sort_order) from need_codes)
        ) as numerators
    from report_groups($by, $locality, $hub, $area_number, $catchment_number) as report_groups
    full outer join labelled on report_groups.report_group = labelled.report_group
)

select
    report_group as "group",
    n as denominator,
    numerators
from groups
order by report_group = 'unknown', report_order($by, report_group)
