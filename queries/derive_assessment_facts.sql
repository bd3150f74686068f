-- derive_assessment_facts: assessment_facts (one row per assessment) and assessment_needs
-- (one row per assessment and need listed), built once at ingest. An assessment takes its
-- episode's lead hub and the child's locality of residence. need_bits holds the listed needs
-- as one integer (need_bit of each need; 0 for none) for the group and co-occurrence
-- queries. No parameters.
create or replace table assessment_facts as
select
    assessments.assessment_id,
    assessments.episode_id,
    episode_facts.child_id,
    episode_facts.family_id,
    episode_facts.locality_id,
    episode_facts.hub_id,
    episode_facts.service,
    assessments.completed_date,
    assessments.thrive_group,
    assessments.needs,
    len(assessments.needs) as need_count,
    -- Positions first, then bits: a macro inside a lambda cannot see codes.in_order.
    coalesce(
        list_sum(
            list_transform(
                list_transform(assessments.needs, lambda need: list_position(codes.in_order, need)),
                lambda sort_order: need_bit(sort_order)
            )
        ),
        0
    )::uinteger as need_bits,
    episode_facts.imd_decile,
    age_band(episode_facts.birth_start, assessments.completed_date) as age_band
from assessments
cross join (select list(need order by sort_order) as in_order from need_codes) as codes
inner join episode_facts on assessments.episode_id = episode_facts.episode_id
-- Date order lets queries skip blocks outside a period (see derive_request_facts).
order by assessments.completed_date;

-- One row per need listed, with the assessment's date and reporting dimensions repeated, so
-- needs analysis counts need rows in a period without joining back (at national scale that
-- join cost over a second a query). assessment_facts' date order is kept: no second sort.
-- need_order is the need's sort_order (the two unnests run side by side): need_prevalence
-- groups on it, faster than on the code.
create or replace table assessment_needs as
select
    assessment_facts.assessment_id,
    unnest(assessment_facts.needs) as need,
    unnest(
        list_transform(assessment_facts.needs, lambda need: list_position(codes.in_order, need))
    )::utinyint as need_order,
    assessment_facts.completed_date,
    assessment_facts.locality_id,
    assessment_facts.hub_id,
    assessment_facts.service,
    assessment_facts.thrive_group,
    assessment_facts.imd_decile,
    assessment_facts.age_band
from assessment_facts
cross join (select list(need order by sort_order) as in_order from need_codes) as codes;

-- need_months: assessment_needs counted by month of completion, place, service and need, so
-- need_prevalence reads whole months from about a tenth of the rows (at national scale,
-- 1.4 million rows a year instead of 14.7 million). Days of a part month come from
-- assessment_needs.
create or replace table need_months as
select
    date_trunc('month', completed_date)::date as month,
    locality_id,
    hub_id,
    service,
    need_order,
    count(*) as assessments
from assessment_needs
group by all
order by month;
