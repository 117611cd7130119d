-- fleet_daily — grain: one row per (day, deployment): utilisation, bill and traffic (fleet-wide view).
SELECT day, deployment_id, round(avg_util_pct, 1) AS avg_util_pct, gpu_cost_usd::DECIMAL(18, 2) AS gpu_cost_usd,
    requests::BIGINT AS requests, round(energy_kwh, 1) AS energy_kwh
FROM mart_gpu_daily
WHERE day BETWEEN $start AND $end
ORDER BY day, deployment_id
