-- need_group_prevalence: the share of assessments completed in the period listing at least
-- one need in each of the ten Supporting Families headline outcome groups.
-- grain: one row per headline group and category of $dimension
-- columns: need_group, category, assessments_listing, assessments, share (0 to 1)
-- parameters: $start, $end (dates, inclusive); $dimension ('locality' | 'age_band' |
--             'imd_decile' | 'all'); filters $locality, $hub, $service (null = all)
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
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by all
),

groups as (
    select distinct
        need_group,
        min(sort_order) over (partition by need_group) as group_order
    from need_codes
),

-- assessment_needs repeats each assessment's date, places, service and child on its need rows.
listed as (
    select
        assessment_category($dimension, locality_id, age_band, imd_decile, thrive_group)
            as category,
        need_codes.need_group,
        count(distinct assessment_needs.assessment_id) as assessments_listing
    from assessment_needs
    inner join need_codes on assessment_needs.need = need_codes.need
    where
        completed_date between $start and $end
        and in_filter(locality_id, $locality)
        and in_filter(hub_id, $hub)
        and in_filter(service, $service)
    group by all
)

select
    groups.need_group,
    denominators.category,
    coalesce(listed.assessments_listing, 0) as assessments_listing,
    denominators.assessments,
    coalesce(listed.assessments_listing, 0) / denominators.assessments as share
from denominators
cross join groups
left join listed
    on denominators.category = listed.category and groups.need_group = listed.need_group
order by groups.group_order, denominators.category
