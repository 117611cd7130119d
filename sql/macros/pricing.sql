-- pricing.sql — how tokens become money, in one place (docs/cost_model.md rules 1–3).  Every model and query
-- that prices calls these; tokenomics.warehouse.connect loads them on every connection (files in name order),
-- the build fingerprint hashes them (editing one rebuilds the marts), and `tokenomics sql --dialect` inlines
-- them (tokenomics.portable).
-- Six token buckets, always in this order: uncached input, cache read, 5m cache write, 1h cache write, output,
-- reasoning.  Prices are integer micro-dollars per 1M tokens (stg_rate_cards' *_micro_per_mtok), so
-- tokens × price is an exact integer number of pico-dollars (1e-12 USD).

-- micro_per_mtok(usd_per_mtok): a card's $/1M price (six decimals, ≤ $100,000) as integer µ$ per 1M tokens
CREATE OR REPLACE TEMP MACRO micro_per_mtok(usd_per_mtok) AS (usd_per_mtok * 1000000)::BIGINT;

-- missing_price(tokens, price): a bucket that has tokens but no price — the request cannot be priced
CREATE OR REPLACE TEMP MACRO missing_price(tokens, price) AS (tokens > 0 AND price IS NULL);

-- unpriced_bucket(tokens…, prices…): some bucket has tokens but no price (then the cost is NULL, never $0)
CREATE OR REPLACE TEMP MACRO unpriced_bucket(t_in, t_read, t_w5, t_w1h, t_out, t_reason,
                                             p_in, p_read, p_w5, p_w1h, p_out, p_reason) AS
    (missing_price(t_in, p_in) OR missing_price(t_read, p_read) OR missing_price(t_w5, p_w5)
     OR missing_price(t_w1h, p_w1h) OR missing_price(t_out, p_out) OR missing_price(t_reason, p_reason));

-- unpriced_buckets(tokens…, prices…): which buckets lack a price, for people ('no input price, …'); NULL if none
CREATE OR REPLACE TEMP MACRO unpriced_buckets(t_in, t_read, t_w5, t_w1h, t_out, t_reason,
                                              p_in, p_read, p_w5, p_w1h, p_out, p_reason) AS
    nullif(concat_ws(', ',
        CASE WHEN missing_price(t_in, p_in) THEN 'no input price' END,
        CASE WHEN missing_price(t_read, p_read) THEN 'no cache-read price' END,
        CASE WHEN missing_price(t_w5, p_w5) THEN 'no 5m cache-write price' END,
        CASE WHEN missing_price(t_w1h, p_w1h) THEN 'no 1h cache-write price' END,
        CASE WHEN missing_price(t_out, p_out) THEN 'no output price' END,
        CASE WHEN missing_price(t_reason, p_reason) THEN 'no reasoning price' END), '');

-- bucket_pico(tokens…, prices…): Σ tokens × µ$/1M over the buckets = pico-dollars, exact; a bucket without a
-- price counts 0 (check unpriced_bucket first).  The arithmetic is the arguments' type: BIGINT per request
-- (the ledger: ≤ 10M tokens × ≤ 1e11 µ$ fits, and is ~10× faster than DECIMAL(38)), HUGEINT for period sums.
CREATE OR REPLACE TEMP MACRO bucket_pico(t_in, t_read, t_w5, t_w1h, t_out, t_reason,
                                         p_in, p_read, p_w5, p_w1h, p_out, p_reason) AS
    (t_in * coalesce(p_in, 0) + t_read * coalesce(p_read, 0) + t_w5 * coalesce(p_w5, 0)
     + t_w1h * coalesce(p_w1h, 0) + t_out * coalesce(p_out, 0) + t_reason * coalesce(p_reason, 0));

-- token_cost(tokens…, prices…): list USD, DECIMAL(38,12); NULL (unpriced, never $0) when a bucket that has
-- tokens has no price.  128-bit arithmetic: token sums over a period fit too; scaled once at the end.
CREATE OR REPLACE TEMP MACRO token_cost(t_in, t_read, t_w5, t_w1h, t_out, t_reason,
                                        p_in, p_read, p_w5, p_w1h, p_out, p_reason) AS
    CASE WHEN unpriced_bucket(t_in, t_read, t_w5, t_w1h, t_out, t_reason, p_in, p_read, p_w5, p_w1h, p_out, p_reason)
         THEN NULL
         ELSE (bucket_pico(t_in::HUGEINT, t_read::HUGEINT, t_w5::HUGEINT, t_w1h::HUGEINT, t_out::HUGEINT,
                           t_reason::HUGEINT, p_in, p_read, p_w5, p_w1h, p_out, p_reason)
               * 0.000000000001)::DECIMAL(38, 12)
    END;

-- Contract discounts (rule 3): discount = list × d/100, rounded half up to the pico-dollar; paid = list − discount.
-- discount_units(pct): the percentage × 1e4 as an integer (discount_pct is DECIMAL(7,4): exact); NULL → 0
CREATE OR REPLACE TEMP MACRO discount_units(pct) AS (coalesce(pct, 0) * 10000)::BIGINT;

-- discount_pico(list_pico, units): list × units / 1e6 rounded half up, for a list ≥ 0 in integer pico-dollars;
-- split as (q × 1e6 + r) × units / 1e6 = q × units + r × units / 1e6 so every product stays in the list's type
CREATE OR REPLACE TEMP MACRO discount_pico(list_pico, units) AS
    ((list_pico // 1000000) * units + ((list_pico % 1000000) * units + 500000) // 1000000);

-- discount_usd(amount_usd, pct): the same rule on a USD amount (12 decimals; a negative amount, e.g. a saving
-- that cost more than it saved, is rounded by magnitude)
CREATE OR REPLACE TEMP MACRO discount_usd(amount_usd, pct) AS
    (sign(amount_usd) * discount_pico(abs(amount_usd * 1000000000000)::HUGEINT, discount_units(pct))
     * 0.000000000001)::DECIMAL(38, 12);

-- net_of_discount(amount_usd, pct): what is paid: amount − discount_usd(amount, pct)
CREATE OR REPLACE TEMP MACRO net_of_discount(amount_usd, pct) AS
    (amount_usd - discount_usd(amount_usd, pct))::DECIMAL(38, 12);

-- contract_covers(contract_provider, model_pattern, provider, model): a contract discount line applies to the
-- provider's model — the provider itself or its family (a contract with 'bedrock' covers bedrock_converse)
CREATE OR REPLACE TEMP MACRO contract_covers(contract_provider, model_pattern, provider, model) AS
    ((contract_provider = provider OR starts_with(provider, contract_provider || '_')
      OR starts_with(provider, contract_provider || '-'))
     AND model GLOB model_pattern);
