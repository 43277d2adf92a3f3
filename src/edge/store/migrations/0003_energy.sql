-- Hourly totals of the smart meters' quarter-hours, kept up to date by triggers, so the
-- dashboard and the usage series read a quarter as many rows and never join the market prices
-- per quarter-hour. Europe/Berlin is a whole number of hours off UTC, so these are Berlin hours
-- too, and Berlin days, weeks and months are whole runs of them.
--
-- market_cost is Σ energy × day-ahead price of the hour's quarter-hours that had a stored price
-- when their consumption was written (day-ahead prices are published the day before, so they
-- are stored first); unpriced_quarters counts the others, whose cost is unknown.
CREATE TABLE usage_hourly (
    meter_key INTEGER NOT NULL REFERENCES meters(meter_key),
    start_at INTEGER NOT NULL CHECK (start_at % 3600 = 0),
    energy_wh INTEGER NOT NULL,
    quarters INTEGER NOT NULL,               -- quarter-hour values in the hour, 1 to 4
    final_quarters INTEGER NOT NULL,         -- how many of them are final
    market_cost INTEGER NOT NULL,            -- Wh × mct/kWh (10⁶ make a cent)
    unpriced_quarters INTEGER NOT NULL,
    PRIMARY KEY (meter_key, start_at)
) WITHOUT ROWID;

INSERT INTO usage_hourly (meter_key, start_at, energy_wh, quarters, final_quarters, market_cost,
                          unpriced_quarters)
SELECT u.meter_key, u.start_at / 3600 * 3600, SUM(u.energy_wh), COUNT(*), SUM(u.is_final),
       COALESCE(SUM(u.energy_wh * p.price_mct_per_kwh), 0), COUNT(*) - COUNT(p.price_mct_per_kwh)
FROM usage_15min u
LEFT JOIN market_prices p ON p.zone = 'DE-LU' AND p.start_at = u.start_at
GROUP BY u.meter_key, u.start_at / 3600;

CREATE TRIGGER usage_hourly_add AFTER INSERT ON usage_15min BEGIN
    INSERT INTO usage_hourly (meter_key, start_at, energy_wh, quarters, final_quarters,
                              market_cost, unpriced_quarters)
    SELECT NEW.meter_key, NEW.start_at / 3600 * 3600, NEW.energy_wh, 1, NEW.is_final,
           COALESCE(NEW.energy_wh * price, 0), price IS NULL
    FROM (SELECT (SELECT price_mct_per_kwh FROM market_prices
                  WHERE zone = 'DE-LU' AND start_at = NEW.start_at) AS price)
    WHERE true
    ON CONFLICT (meter_key, start_at) DO UPDATE SET
        energy_wh = energy_wh + excluded.energy_wh,
        quarters = quarters + 1,
        final_quarters = final_quarters + excluded.final_quarters,
        market_cost = market_cost + excluded.market_cost,
        unpriced_quarters = unpriced_quarters + excluded.unpriced_quarters;
END;

CREATE TRIGGER usage_hourly_remove AFTER DELETE ON usage_15min BEGIN
    UPDATE usage_hourly SET
        energy_wh = energy_wh - OLD.energy_wh,
        quarters = quarters - 1,
        final_quarters = final_quarters - OLD.is_final,
        market_cost = market_cost - COALESCE(OLD.energy_wh * price, 0),
        unpriced_quarters = unpriced_quarters - (price IS NULL)
    FROM (SELECT (SELECT price_mct_per_kwh FROM market_prices
                  WHERE zone = 'DE-LU' AND start_at = OLD.start_at) AS price)
    WHERE meter_key = OLD.meter_key AND start_at = OLD.start_at / 3600 * 3600;
    DELETE FROM usage_hourly
    WHERE meter_key = OLD.meter_key AND start_at = OLD.start_at / 3600 * 3600 AND quarters = 0;
END;

-- A changed value (a final one replacing a preliminary one) moves the hour's totals by the
-- difference: old out, new in.
CREATE TRIGGER usage_hourly_change AFTER UPDATE ON usage_15min BEGIN
    UPDATE usage_hourly SET
        energy_wh = energy_wh - OLD.energy_wh,
        quarters = quarters - 1,
        final_quarters = final_quarters - OLD.is_final,
        market_cost = market_cost - COALESCE(OLD.energy_wh * price, 0),
        unpriced_quarters = unpriced_quarters - (price IS NULL)
    FROM (SELECT (SELECT price_mct_per_kwh FROM market_prices
                  WHERE zone = 'DE-LU' AND start_at = OLD.start_at) AS price)
    WHERE meter_key = OLD.meter_key AND start_at = OLD.start_at / 3600 * 3600;
    DELETE FROM usage_hourly
    WHERE meter_key = OLD.meter_key AND start_at = OLD.start_at / 3600 * 3600 AND quarters = 0;
    INSERT INTO usage_hourly (meter_key, start_at, energy_wh, quarters, final_quarters,
                              market_cost, unpriced_quarters)
    SELECT NEW.meter_key, NEW.start_at / 3600 * 3600, NEW.energy_wh, 1, NEW.is_final,
           COALESCE(NEW.energy_wh * price, 0), price IS NULL
    FROM (SELECT (SELECT price_mct_per_kwh FROM market_prices
                  WHERE zone = 'DE-LU' AND start_at = NEW.start_at) AS price)
    WHERE true
    ON CONFLICT (meter_key, start_at) DO UPDATE SET
        energy_wh = energy_wh + excluded.energy_wh,
        quarters = quarters + 1,
        final_quarters = final_quarters + excluded.final_quarters,
        market_cost = market_cost + excluded.market_cost,
        unpriced_quarters = unpriced_quarters + excluded.unpriced_quarters;
END;

-- The dashboard's latest invoice: a subscription's invoices in the order of issue.
CREATE INDEX invoices_by_subscription_issue ON invoices (subscription_id, issued_at, invoice_number);
