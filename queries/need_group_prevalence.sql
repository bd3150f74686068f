-- need_group_prevalence: the share of assessments completed in the period listing at least
-- one need in each of the ten Supporting Families headline outcome groups.
-- grain: one row per headline group and category of $dimension
-- columns: need_group, category, assessments_listing, assessments, share (0 to 1)
-- parameters: $start, $end (dates, inclusive); $dimension ('locality' | 'age_band' |
--             'imd_decile' | 'all'); filters
--             $locality, $area_number, $catchment_number, $hub, $service (null = all)
with

denominators as (
    select
        assessment_category($dimension, locality_id, age_band, imd_decile, thrive_group)
            as category,
        count(*) as assessments
    from assessment_facts
    where
        completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(area_number, $area_number)
        and in_filter(catchment_number, $catchment_number)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by all
),

headline_groups as (
    select
        need_group,
        min(sort_order) as group_order,
        bit_or(need_bit(sort_order)) as need_mask
    from need_codes
    group by need_group
),

-- An assessment lists a group when its need_bits share a bit with the group's mask: it counts
-- once however many of the group's needs it lists, with no distinct count.
listed as (
    select
        assessment_category(
            $dimension,
            assessment_facts.locality_id,
            assessment_facts.age_band,
            assessment_facts.imd_decile,
            assessment_facts.thrive_group
        ) as category,
        headline_groups.need_group,
        count_if(assessment_facts.need_bits & headline_groups.need_mask <> 0)::bigint
            as assessments_listing
    from assessment_facts
    cross join headline_groups
    where
        assessment_facts.completed_date between $start and $end
        and in_filter(assessment_facts.locality_id, $locality)
        and in_filter(assessment_facts.area_number, $area_number)
        and in_filter(assessment_facts.catchment_number, $catchment_number)
        and in_filter(assessment_facts.hub_id, $hub)
        and in_filter(assessment_facts.service, $service)
    group by all
)

select
    headline_groups.need_group,
    denominators.category,
    coalesce(listed.assessments_listing, 0) as assessments_listing,
    denominators.assessments,
    coalesce(listed.assessments_listing, 0) / denominators.assessments as share
from denominators
cross join headline_groups
left join listed
    on denominators.category = listed.category and headline_groups.need_group = listed.need_group
order by headline_groups.group_order, denominators.category
