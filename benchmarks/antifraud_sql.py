"""The anti-fraud features written by hand in DuckDB SQL: the yardstick for the Ibis expression.

It computes exactly what ``telcolens.antifraud.features.fraud_features`` computes (same
columns, types and rows; tests/antifraud/test_features_sql.py holds it to that), the way
a DuckDB user would write it rather than the way Ibis composes it:

- voice is aggregated twice, not five times: once per (caller, callee) pair, which
  gives callbacks, first-time callees, distinct callees and callers, calls received and
  the call graph; once per (caller, clock hour) of the calls made, which gives the
  hourly peaks and, summed, the calls made, their short, answered and night shares and
  durations;
- the sightings are reduced to distinct (subscriber, day, cell) first, so the distinct
  counts of mobility run over a few rows per subscriber and day;
- the ID-card and outlet counts are window functions over the subscribers, the card
  batch a RANGE window of +-7 days, not a self-join.

Like the profile's yardstick (profile_sql.py) the CTEs over the raw files are NOT
MATERIALIZED, and every table must have files (the Ibis version counts an absent
table as empty). ``{data}`` is the data directory, ``{as_of}`` the as-of date (ISO) and
``{window_days}`` the days of records before it that are read (``fraud_features``'
``window_days``; the reference tables are read whole).
"""

FEATURES_SQL = """
WITH
voice AS NOT MATERIALIZED (
    SELECT * FROM read_parquet('{data}/voice/*.parquet')
    WHERE start_time >= DATE '{as_of}' - INTERVAL {window_days} DAY
      AND start_time < DATE '{as_of}'),
sms AS NOT MATERIALIZED (
    SELECT * FROM read_parquet('{data}/sms/*.parquet')
    WHERE send_time >= DATE '{as_of}' - INTERVAL {window_days} DAY
      AND send_time < DATE '{as_of}'),
data_sessions AS NOT MATERIALIZED (
    SELECT * FROM read_parquet('{data}/data_sessions/*.parquet')
    WHERE start_time >= DATE '{as_of}' - INTERVAL {window_days} DAY
      AND start_time < DATE '{as_of}'),
location_events AS NOT MATERIALIZED (
    SELECT * FROM read_parquet('{data}/location_events/*.parquet')
    WHERE event_time >= DATE '{as_of}' - INTERVAL {window_days} DAY
      AND event_time < DATE '{as_of}'),
subs AS NOT MATERIALIZED (SELECT * FROM read_parquet('{data}/subscribers/*.parquet')),
-- Every (caller, callee) pair, with both legs of a call counted once each.
pairs AS (
    SELECT caller, callee,
           min(start_time) AS first_call,
           max(start_time) AS last_call,
           count(*) FILTER (WHERE direction = 'MO') AS mo_calls,
           count(*) FILTER (WHERE direction = 'MT') AS mt_calls
    FROM voice GROUP BY caller, callee),
callbacks AS (
    SELECT p.caller AS subscriber_id,
           count(*) AS callees,
           count(*) FILTER (WHERE p.mo_calls > 0) AS distinct_callees,
           count(*) FILTER (WHERE back.last_call > p.first_call) AS called_back,
           count(*) FILTER (WHERE back.first_call IS NULL OR back.first_call > p.first_call)
               AS new_callees
    FROM pairs p
    LEFT JOIN pairs back ON back.caller = p.callee AND back.callee = p.caller
    GROUP BY p.caller
    HAVING max(p.mo_calls) > 0),
received AS (
    SELECT callee AS subscriber_id,
           sum(mt_calls)::BIGINT AS calls_in,
           count(*) FILTER (WHERE mt_calls > 0) AS distinct_callers
    FROM pairs GROUP BY callee),
-- Calls made per clock hour; the per-caller totals are sums of these.
hourly AS (
    SELECT caller, date_trunc('hour', start_time) AS hour_start,
           count(*) AS calls,
           count(DISTINCT callee) AS callees,
           count(*) FILTER (WHERE duration_s < 10) AS short,
           count(*) FILTER (WHERE duration_s > 0) AS answered,
           sum(duration_s::BIGINT) AS duration
    FROM voice WHERE direction = 'MO' GROUP BY caller, hour_start),
made AS (
    SELECT caller AS subscriber_id,
           sum(calls)::BIGINT AS calls_out,
           sum(short) AS short_calls,
           sum(answered) AS answered,
           coalesce(sum(calls) FILTER (WHERE hour(hour_start) >= 22 OR hour(hour_start) < 6), 0)
               AS night_calls,
           sum(duration) AS duration_total,
           count(*) AS active_hours,
           max(calls) AS peak_hour_calls,
           max(callees) AS peak_hour_callees,
           max(CASE WHEN short * 2 > calls THEN callees ELSE 0 END) AS peak_short_hour_callees
    FROM hourly GROUP BY caller),
sms_out AS (
    SELECT sender AS subscriber_id, count(*) AS sms_out,
           count(DISTINCT recipient) AS sms_recipients
    FROM sms WHERE direction = 'MO' GROUP BY sender),
sms_in AS (
    SELECT recipient AS subscriber_id, count(*) AS sms_in
    FROM sms WHERE direction = 'MT' GROUP BY recipient),
data_use AS (
    SELECT subscriber_id, sum(bytes_up + bytes_down)::BIGINT AS data_bytes,
           count(*) AS data_sessions
    FROM data_sessions GROUP BY subscriber_id),
-- Each record belongs to the party it was written for.
seen AS (
    SELECT DISTINCT subscriber_id, seen_at::DATE AS day, cell_id
    FROM (
        SELECT CASE WHEN direction = 'MO' THEN caller ELSE callee END AS subscriber_id,
               start_time AS seen_at, cell_id FROM voice
        UNION ALL
        SELECT CASE WHEN direction = 'MO' THEN sender ELSE recipient END, send_time, cell_id
        FROM sms
        UNION ALL
        SELECT subscriber_id, start_time, cell_id FROM data_sessions
        UNION ALL
        SELECT subscriber_id, event_time, cell_id FROM location_events)),
located AS (
    SELECT s.subscriber_id, s.day, s.cell_id, c.city
    FROM seen s LEFT JOIN read_parquet('{data}/cells/*.parquet') c USING (cell_id)),
mobility AS (
    SELECT subscriber_id,
           count(DISTINCT cell_id) AS distinct_cells,
           count(DISTINCT city) AS distinct_cities,
           count(DISTINCT day) AS active_days
    FROM located GROUP BY subscriber_id),
busiest_day AS (
    SELECT subscriber_id, max(cities) AS max_cities_per_day
    FROM (SELECT subscriber_id, count(DISTINCT city) AS cities
          FROM located GROUP BY subscriber_id, day)
    GROUP BY subscriber_id),
-- The undirected call graph, and each number's degree in it.
edges AS (
    SELECT caller AS a, callee AS b FROM pairs WHERE caller <> callee
    UNION
    SELECT callee, caller FROM pairs WHERE caller <> callee),
degree AS (SELECT a, count(*) AS degree FROM edges GROUP BY a),
graph AS (
    SELECT e.a AS subscriber_id,
           count(*) AS degree,
           sum(d.degree)::BIGINT AS two_hop_reach,
           count(sb.city) AS onnet,
           count(*) FILTER (WHERE sa.city = sb.city) AS same_city
    FROM edges e
    JOIN degree d ON d.a = e.b
    JOIN subs sa ON sa.subscriber_id = e.a
    LEFT JOIN subs sb ON sb.subscriber_id = e.b
    GROUP BY e.a),
devices AS (
    SELECT subscriber_id,
           count(DISTINCT imei_id) AS imeis_per_sim,
           coalesce(max(sims), 0) AS sims_per_imei
    FROM read_parquet('{data}/devices/*.parquet')
    LEFT JOIN (
        SELECT imei_id, count(DISTINCT subscriber_id) AS sims
        FROM read_parquet('{data}/devices/*.parquet')
        WHERE last_seen >= DATE '{as_of}' - INTERVAL 30 DAY
        GROUP BY imei_id) USING (imei_id)
    GROUP BY subscriber_id),
account AS (
    SELECT subscriber_id, city,
           age::BIGINT AS age,
           (customer_type = 'business')::BIGINT AS is_business,
           date_diff('day', activation_date, DATE '{as_of}') AS sim_age_days,
           count(*) OVER (PARTITION BY id_card_id) AS sims_per_id_card,
           count(*) OVER (
               PARTITION BY id_card_id ORDER BY activation_date
               RANGE BETWEEN INTERVAL 7 DAY PRECEDING AND INTERVAL 7 DAY FOLLOWING)
               AS card_batch_sims,
           count(*) OVER (PARTITION BY sales_outlet, activation_date) AS outlet_day_sims
    FROM subs)
SELECT subscriber_id,
       coalesce(calls_out, 0) AS calls_out,
       coalesce(calls_in, 0) AS calls_in,
       coalesce(distinct_callees, 0) AS distinct_callees,
       coalesce(distinct_callers, 0) AS distinct_callers,
       short_calls::DOUBLE / calls_out AS short_call_share,
       answered::DOUBLE / calls_out AS answered_share,
       night_calls::DOUBLE / calls_out AS night_share,
       duration_total::DOUBLE / calls_out AS mean_call_s,
       called_back::DOUBLE / callees AS callback_share,
       new_callees::DOUBLE / callees AS new_callee_share,
       coalesce(active_hours, 0) AS active_hours,
       coalesce(peak_hour_callees, 0) AS peak_hour_callees,
       coalesce(peak_short_hour_callees, 0) AS peak_short_hour_callees,
       (peak_hour_calls * active_hours)::DOUBLE / calls_out AS burstiness,
       coalesce(sms_out, 0) AS sms_out,
       coalesce(sms_recipients, 0) AS sms_recipients,
       coalesce(sms_in, 0) AS sms_in,
       coalesce(data_bytes, 0) AS data_bytes,
       coalesce(data_sessions, 0) AS data_sessions,
       coalesce(distinct_cells, 0) AS distinct_cells,
       coalesce(distinct_cities, 0) AS distinct_cities,
       coalesce(max_cities_per_day, 0) AS max_cities_per_day,
       coalesce(active_days, 0) AS active_days,
       age, is_business, sim_age_days, sims_per_id_card, card_batch_sims, outlet_day_sims,
       coalesce(imeis_per_sim, 0) AS imeis_per_sim,
       coalesce(sims_per_imei, 0) AS sims_per_imei,
       coalesce(degree, 0) AS call_degree,
       coalesce(two_hop_reach, 0) AS two_hop_reach,
       two_hop_reach::DOUBLE / degree AS contact_mean_degree,
       CASE WHEN onnet > 0 THEN same_city::DOUBLE / onnet END AS same_city_contact_share
FROM account
LEFT JOIN made USING (subscriber_id)
LEFT JOIN callbacks USING (subscriber_id)
LEFT JOIN received USING (subscriber_id)
LEFT JOIN sms_out USING (subscriber_id)
LEFT JOIN sms_in USING (subscriber_id)
LEFT JOIN data_use USING (subscriber_id)
LEFT JOIN mobility USING (subscriber_id)
LEFT JOIN busiest_day USING (subscriber_id)
LEFT JOIN devices USING (subscriber_id)
LEFT JOIN graph USING (subscriber_id)
ORDER BY subscriber_id
"""
